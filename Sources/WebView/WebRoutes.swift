import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import SystemSupport

/// The web view's routes. Handlers only read through `OutboxReader` (names from disk, never paths
/// from the request) and act through `LiveSource`.
struct WebRoutes: Sendable {
    let settings: WebServer.Settings
    let source: any LiveSource
    let reader: OutboxReader
    let previews: Thumbnailer

    static var actionHeader: HTTPField.Name { HTTPField.Name("X-SceneDrop-Action")! }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in try await page(quarantineLimit: Self.quarantineLimit(request)) }
        router.get("/app.js") { _, _ in text(PageAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/app.css") { _, _ in text(PageAssets.style, type: "text/css; charset=utf-8") }
        router.get("/fragments/sessions") { _, _ in
            let (reader, limit) = (reader, settings.recentSessions)
            return text(
                Page.sessionsFragment(await WorkerThreads.io.run { reader.recentSessions(limit: limit) }),
                type: "text/html; charset=utf-8"
            )
        }
        router.get("/fragments/quarantine") { request, _ in
            let (reader, limit) = (reader, Self.quarantineLimit(request))
            let (cards, total) = await WorkerThreads.io.run { reader.quarantined(limit: limit) }
            return text(Page.quarantineFragment(cards, total: total, limit: limit), type: "text/html; charset=utf-8")
        }
        router.get("/api/live") { _, _ in text(LiveEvents.json(await source.live()), type: "application/json") }
        router.get("/events") { _, _ in events() }
        router.get("/sessions/:session/:file") { _, context in
            guard let folder = decoded(context, "session"), let name = decoded(context, "file") else {
                return notFound()
            }
            let reader = reader
            return serve(await WorkerThreads.io.run { reader.sessionFile(folder: folder, name: name) })
        }
        router.get("/sessions/:session/thumbs/:image") { _, context in
            guard let folder = decoded(context, "session"), let image = decoded(context, "image") else {
                return notFound()
            }
            return await thumbnail(folder: folder, image: image)
        }
        router.get("/sessions/:session/references/:name") { _, context in
            guard let folder = decoded(context, "session"), let name = decoded(context, "name") else {
                return notFound()
            }
            let reader = reader
            return serve(await WorkerThreads.io.run { reader.referenceThumbnail(folder: folder, name: name) })
        }
        router.get("/quarantine/:name") { _, context in
            guard let name = decoded(context, "name") else { return notFound() }
            let reader = reader
            return serve(await WorkerThreads.io.run { reader.quarantineFile(name) })
        }
        router.post("/quarantine/:name/requeue") { request, context in
            // A cross-site form cannot set this header, so another site cannot requeue through a visitor.
            guard request.headers[Self.actionHeader] == "requeue" else {
                return json(
                    [
                        "error": "forbidden",
                        "message": "send the header X-SceneDrop-Action: requeue (the page's Requeue button does)",
                    ],
                    status: .forbidden
                )
            }
            guard let name = decoded(context, "name") else { return notFound() }
            switch await source.requeue(name) {
            case .success(let file): return json(["requeued": file], status: .ok)
            case .failure(let refusal):
                return json(
                    ["error": refusal.code.rawValue, "message": refusal.message],
                    status: refusal.code == .notFound ? .notFound : .conflict
                )
            }
        }
        router.get("/metrics") { _, _ in text(source.metricsText(), type: "text/plain; version=0.0.4; charset=utf-8") }
        router.get("/healthz") { _, _ in text("ok\n", type: "text/plain; charset=utf-8") }
        router.get("/readyz") { _, _ in
            let problems = await source.problems()
            guard problems.isEmpty else {
                return text(
                    "not ready:\n" + problems.map { "- " + $0 + "\n" }.joined(),
                    type: "text/plain; charset=utf-8",
                    status: .serviceUnavailable
                )
            }
            return text("ready\n", type: "text/plain; charset=utf-8")
        }
    }

    func page(quarantineLimit: Int) async throws -> Response {
        let (reader, limit) = (reader, settings.recentSessions)
        async let live = source.live()
        let (sessions, quarantined) = await WorkerThreads.io.run {
            (reader.recentSessions(limit: limit), reader.quarantined(limit: quarantineLimit))
        }
        return text(
            Page.page(
                live: await live,
                sessions: sessions,
                quarantine: quarantined.cards,
                quarantineTotal: quarantined.total,
                quarantineLimit: quarantineLimit
            ),
            type: "text/html; charset=utf-8"
        )
    }

    /// How many quarantined files the page shows: the newest 50, or what `?quarantine=N` asks for (50 more at a
    /// time), at most 1,000; `scenedrop status --json` lists them all. 20,000 of them made a 9.7 MB page.
    static let quarantinePage = 50
    static let quarantineMost = 1000

    static func quarantineLimit(_ request: Request) -> Int {
        guard let asked = request.uri.queryParameters["quarantine"].flatMap({ Int(String($0)) }) else {
            return quarantinePage
        }
        return min(max(asked, quarantinePage), quarantineMost)
    }

    /// Server-Sent Events: the whole state at once, again after every change (at most four times a
    /// second) and every `refresh`; ends at graceful shutdown.
    func events() -> Response {
        let (source, refresh) = (source, settings.refresh)
        let body = ResponseBody { writer in
            let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let forwarding = Task {
                for await _ in source.changes() { wake.yield() }
            }
            let ticking = Task {
                while (try? await Task.sleep(for: refresh)) != nil { wake.yield() }
            }
            defer {
                forwarding.cancel()
                ticking.cancel()
            }
            try await withGracefulShutdownHandler {
                try await writer.write(ByteBuffer(string: LiveEvents.frame(await source.live())))
                for await _ in wakes {
                    try await writer.write(ByteBuffer(string: LiveEvents.frame(await source.live())))
                    // A burst of changes becomes one update per quarter second.
                    try await Task.sleep(for: .milliseconds(250))
                }
            } onGracefulShutdown: {
                wake.finish()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: body
        )
    }

    func thumbnail(folder: String, image: String) async -> Response {
        let reader = reader
        if let listed = await WorkerThreads.io.run({ reader.listedThumbnail(folder: folder, image: image) }) {
            return serve(listed)
        }
        // A session from before previews: made now from the image, if the session lists it.
        guard let original = await WorkerThreads.io.run({ reader.sessionFile(folder: folder, name: image) }),
            original.contentType.hasPrefix("image/"), let jpeg = await previews.preview(of: original.bytes)
        else { return notFound() }
        return serve(.init(bytes: jpeg, contentType: "image/jpeg"))
    }

    func decoded(_ context: BasicRequestContext, _ name: String) -> String? {
        context.parameters.get(name).flatMap(PercentDecoding.decode)
    }

    func serve(_ file: OutboxReader.ServedFile?) -> Response {
        guard let file else { return notFound() }
        return Response(
            status: .ok,
            headers: [.contentType: file.contentType, .cacheControl: "private, max-age=60"],
            body: .init(byteBuffer: ByteBuffer(bytes: file.bytes))
        )
    }

    func notFound() -> Response {
        text("not found\n", type: "text/plain; charset=utf-8", status: .notFound)
    }

    func text(_ body: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: type, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }

    func json(_ object: [String: String], status: HTTPResponse.Status) -> Response {
        let data = (try? JSONEncoder().encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return text(LiveEvents.scrub(data), type: "application/json", status: status)
    }
}

/// The live state as JSON for events: compact (one `data:` line), with `<`, `>`, `&` and the two
/// line separators JavaScript treats as newlines written as `\u` escapes.
enum LiveEvents {
    static func json(_ live: LiveState) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // An infinite sum (a ledger line of 1e308, twice) must not turn the whole state into "{}".
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf",
            negativeInfinity: "-inf",
            nan: "nan"
        )
        return scrub((try? encoder.encode(live)).map { String(decoding: $0, as: UTF8.self) } ?? "{}")
    }

    static func frame(_ live: LiveState) -> String {
        "data: " + json(live) + "\n\n"
    }

    /// Only inside JSON strings can these characters occur, where the escapes mean the same.
    static func scrub(_ json: String) -> String {
        HTML.substituting(json) { scalar in
            switch scalar {
            case "<": return "\\u003c"
            case ">": return "\\u003e"
            case "&": return "\\u0026"
            case "\u{2028}": return "\\u2028"
            case "\u{2029}": return "\\u2029"
            default: return nil
            }
        }
    }
}
