import FakeGemini
import Foundation
import SystemSupport
import TestSupport
import Testing

/// A Gemini endpoint that answers as a hostile or broken server would (issue 20, points 3 and 4): whatever it
/// sends, the key stays on this host and out of every file, log and message.
@Suite struct HostileAPITests {
    /// A key of the real shape, long enough that half of it would still be a leak.
    static let key = "AIzaSyD-hostile-test-key-0123456789abcdefXY"

    /// A server that accepts the key probe (models.get) and answers every image request with `answer`.
    static func answering(_ answer: FakeResponse) -> @Sendable (RecordedRequest) -> FakeResponse {
        { request in
            request.method == "GET" ? FakeResponse(status: 200, body: Array(#"{"name":"models/x"}"#.utf8)) : answer
        }
    }

    func environment(_ server: FakeGeminiServer) -> [String: String] {
        ["SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": Self.key]
    }

    /// A 307 to another origin is a server error, never followed: the second server, which records all it
    /// receives, gets nothing, and the scene's metadata names the redirect and where it pointed.
    @Test func aRedirectIsNeverFollowed() async throws {
        try await withFakeGemini({ _ in FakeResponse(status: 200, body: Array("{}".utf8)) }) { elsewhere in
            let target = elsewhere.baseURL + "/v1beta/models/stolen:generateContent"
            try await withFakeGemini(Self.answering(FakeResponse(status: 307, body: [], headers: ["location": target])))
            { server in
                try await withTemporaryDirectory { root in
                    try writeFile(root + "/inbox/r.json", manifestJSON(session: "redirected"))
                    let result = try await SceneDropProcess.run(
                        ["process", "--root", root, "--settle", "0s", "--retries", "0"],
                        logDirectory: root,
                        environment: environment(server)
                    )
                    #expect(result.status == 0, "\(result.stderr)")
                    #expect(elsewhere.requests.isEmpty, "the redirect was followed: \(elsewhere.requests.map(\.path))")
                    #expect(!server.generateRequests.isEmpty)
                    let meta = try #require(jsonObject(root + "/outbox/redirected/scene-001.json"))
                    let fallback = try #require(meta["fallback"] as? [String: Any])
                    #expect(fallback["reason"] as? String == "server_error")
                    let tried = try #require((fallback["tried"] as? [[String: Any]])?.first?["error"] as? String)
                    #expect(tried.contains("307"), "\(tried)")
                    #expect(tried.contains("redirect"), "\(tried)")
                    #expect(tried.contains(target), "\(tried)")
                    #expect(files(containing: Self.key, under: root).isEmpty)
                }
            }
        }
    }

    /// A server that quotes the key back, in a JSON error and in a plain-text body long enough that the
    /// message is cut with the key across the cut: neither the metadata, nor the log, nor any file has any of it.
    @Test(arguments: [true, false])
    func aServerThatEchoesTheKeyLeaksNothing(json: Bool) async throws {
        let echo = "header x-goog-api-key=\(Self.key) is not valid for this project"
        let plain = String(repeating: "x", count: 180) + " key " + Self.key + " " + String(repeating: "y", count: 100)
        let body =
            json
            ? Array(#"{"error":{"code":400,"message":"\#(echo)","status":"INVALID_ARGUMENT"}}"#.utf8)
            : Array(plain.utf8)
        try await withFakeGemini(Self.answering(FakeResponse(status: 400, body: body))) { server in
            try await withTemporaryDirectory { root in
                try writeFile(root + "/inbox/e.json", manifestJSON(session: "echoed"))
                let result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s", "--log-level", "debug"],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(result.status == 0, "\(result.stderr)")
                let meta = try #require(jsonObject(root + "/outbox/echoed/scene-001.json"))
                let tried = try #require(
                    ((meta["fallback"] as? [String: Any])?["tried"] as? [[String: Any]])?.first?["error"] as? String
                )
                #expect(tried.contains("400"), "\(tried)")
                #expect(tried.contains(Secrets.mask), "\(tried)")
                // Any 12 characters of the key would identify it: none may be anywhere.
                for fragment in [Self.key, String(Self.key.prefix(12)), String(Self.key.suffix(12))] {
                    #expect(files(containing: fragment, under: root).isEmpty, "\(fragment)")
                    #expect(!result.stdout.contains(fragment) && !result.stderr.contains(fragment), "\(fragment)")
                }
            }
        }
    }

    /// A real decompression bomb: a PNG of about 440 KB whose header declares 60000x60000 one-bit pixels
    /// (450 MB of zeros once inflated, 10.8 GB as the RGB image a decode makes). Made by Python's zlib.
    static func writeBomb(to path: String) async throws {
        let script = """
            import struct, sys, zlib
            w = h = 60000
            def chunk(kind, data):
                return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
            z = zlib.compressobj(9)
            row = bytes(1 + w // 8)
            idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
            png = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
            open(sys.argv[1], "wb").write(png)
            """
        // Seconds of compression: on a thread of its own, never on the test pool's two threads, and niced.
        let status = try await onOwnThread {
            try ChildProcess.run("nice", ["-n", "10", "python3", "-c", script, path], timeout: .seconds(120))
        }
        guard status == 0 else { throw ChildProcessError("python3 could not write the PNG bomb (exit \(status))") }
    }

    /// Two scenes whose every answer is the bomb: each is refused from its header, undecoded, as
    /// `invalid_image` (next model, then the placeholder), the daemon stays up and its peak memory stays
    /// far below what one decode would take. Before the fix one scene took it to 3.7 GB.
    @Test func aDecompressionBombIsRefusedUndecoded() async throws {
        try await withTemporaryDirectory { root in
            try await Self.writeBomb(to: root + "/bomb.png")
            let bomb = try #require(readFile(root + "/bomb.png"))
            #expect(bomb.count < 1 << 20)
            let answer = GeminiEmulator.image(bomb, mimeType: "image/png")
            let emulator = GeminiEmulator { _ in answer }
            try await withFakeGemini({ emulator.handle($0) }) { server in
                let environment = [
                    "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                ]
                let daemon = try await WatchDaemon.start(root, ["--settle", "0s"], environment: environment)
                try writeFile(daemon.inbox + "/bomb.json", manifestJSON(session: "bombed", scenes: 2))
                try await daemon.waitUntil("the bombed session is published") {
                    FileSystem.exists(daemon.outbox + "/bombed/session.json")
                }
                #expect(daemon.process.isRunning)
                let peak = try #require(Self.peakRSS(daemon.process.pid))
                print("bomb: peak RSS \(peak >> 20) MiB with 2 scenes, \(server.generateRequests.count) requests")
                #expect(peak < 300 << 20, "peak RSS \(peak >> 20) MiB")
                for scene in ["scene-001.json", "scene-002.json"] {
                    let meta = try #require(jsonObject(daemon.outbox + "/bombed/" + scene))
                    let fallback = try #require(meta["fallback"] as? [String: Any])
                    let tried = try #require(fallback["tried"] as? [[String: Any]])
                    #expect(tried.allSatisfy { ($0["error"] as? String)?.contains("60000x60000") == true }, "\(tried)")
                    #expect(meta["provider"] as? String == "placeholder")
                }
                // One request per scene and model: a refused image is not asked for again on the same model.
                #expect(server.generateRequests.count == 4)
                #expect(try await daemon.stop() == 0)
            }
        }
    }

    /// A 429 whose RetryInfo asks for 100,000 s on a per-minute quota: with the default --quota-wait (15 min)
    /// nothing can change in time, so each scene moves on at once (next model, then the placeholder) as
    /// `rate_limited`, and the log quotes the delay. Before, each scene waited 15 minutes on each model.
    @Test func aRetryDelayBeyondTheQuotaWaitMovesOnAtOnce() async throws {
        let emulator = GeminiEmulator { _ in GeminiEmulator.rateLimited(retryDelay: "100000s") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try writeFile(root + "/inbox/q.json", manifestJSON(session: "quota", scenes: 3))
                let environment = [
                    "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                ]
                // The default deadline (90 s) is far below one quota wait: a scene that waited would fail the test.
                let result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s", "--log-format", "json"],
                    logDirectory: root,
                    environment: environment
                )
                #expect(result.status == 0, "\(result.stderr)")
                for scene in 1...3 {
                    let meta = try #require(
                        jsonObject(root + "/outbox/quota/" + String(format: "scene-%03d.json", scene))
                    )
                    let fallback = try #require(meta["fallback"] as? [String: Any])
                    #expect(fallback["reason"] as? String == "rate_limited")
                    let tried = try #require(fallback["tried"] as? [[String: Any]])
                    #expect(tried.count == 2, "both models of the chain, once each")
                    #expect(
                        tried.allSatisfy {
                            ($0["error"] as? String)?.contains("s left of --quota-wait (900 s)") == true
                        },
                        "\(tried)"
                    )
                }
                #expect(result.stderr.contains("the API asks for a wait beyond --quota-wait; moving on"))
                #expect(result.stderr.contains("\"scenedrop.retry_in_s\":\"100000.0\""))
            }
        }
    }

    /// RetryInfo delays no server should send: "nans" (NaN became a sleep of NaN nanoseconds, a trap), "infs" and
    /// "1e300s" (beyond every conversion to an integer: a trap wherever the wait was shown or slept). The daemon
    /// must neither trap nor stall: each scene moves on to the placeholder, and the page with the providers'
    /// conditions still loads.
    @Test func absurdRetryDelaysNeitherTrapNorStall() async throws {
        let delays = ["gemini-3.1-flash-lite-image": "nans", "gemini-nano-banana-2.1": "1e300s"]
        let emulator = GeminiEmulator { call in GeminiEmulator.rateLimited(retryDelay: delays[call.model] ?? "infs") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let environment = [
                    "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                ]
                // A 429 without a usable delay is taken for a one-minute window (the README's rule): with --quota-wait
                // 1s every refusal here moves on at once instead of waiting for it.
                let web = try await WebDaemon.start(root, ["--quota-wait", "1s"], environment: environment)
                try dropFile(root + "/inbox/absurd.json", manifestJSON(session: "absurd", scenes: 2))
                try await web.daemon.waitUntil("the session published, the daemon alive") {
                    guard web.daemon.process.isRunning else {
                        throw DaemonExited(stderr: String(web.daemon.process.stderr.suffix(4000)))
                    }
                    return FileSystem.exists(root + "/outbox/absurd/session.json")
                }
                for scene in 1...2 {
                    let meta = try #require(
                        jsonObject(root + "/outbox/absurd/" + String(format: "scene-%03d.json", scene))
                    )
                    #expect((meta["fallback"] as? [String: Any])?["reason"] as? String == "rate_limited")
                }
                let page = try await web.get("/")
                #expect(page.status == 200)
                #expect(web.daemon.process.isRunning, "the daemon is alive")
                #expect(try await web.daemon.stop() == 0)
            }
        }
    }

    /// The kernel's high-water mark of a live process's resident memory, in bytes.
    static func peakRSS(_ pid: Int32) -> Int? { processMemory(pid, "VmHWM") }
}

/// Files below `root` (links not followed) whose bytes contain `needle`.
func files(containing needle: String, under root: String) -> [String] {
    var found: [String] = []
    func walk(_ path: String) {
        guard let info = try? FileSystem.info(path) else { return }
        if info.kind == .directory {
            for entry in listNames(path, hidden: true) { walk(path + "/" + entry) }
        } else if info.kind == .regular, let bytes = readFile(path),
            String(decoding: bytes, as: UTF8.self).contains(needle)
        {
            found.append(path)
        }
    }
    walk(root)
    return found
}
