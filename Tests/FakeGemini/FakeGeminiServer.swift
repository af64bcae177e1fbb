import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// One request as the fake server saw it.
package struct RecordedRequest: Sendable {
    package var method: String
    package var path: String
    package var headers: [String: String]
    package var body: [UInt8]

    package func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// What the fake server answers.
package struct FakeResponse: Sendable {
    package var status: Int
    package var body: [UInt8]
    /// Nothing is sent until this has passed (the real API sends nothing until the image is ready).
    package var delay: Duration
    /// Announce the full length but send only this many bytes, then close: a truncated body.
    package var truncateAfter: Int?
    /// Also hold the answer until this many `generateContent` requests have arrived (or 30 s have passed):
    /// a barrier that proves parallel callers however loaded the machine is, since a sequential caller
    /// never gets there.
    package var holdUntilGenerateRequests: Int?
    /// Headers sent besides content-type and content-length (a redirect's `location`, say).
    package var headers: [String: String]
    /// Also hold the answer until the test opens this gate (or 120 s have passed): a request kept in flight
    /// for exactly as long as the test needs, however long a loaded machine keeps it from looking.
    package var heldBy: Gate?

    package init(
        status: Int,
        body: [UInt8],
        delay: Duration = .zero,
        truncateAfter: Int? = nil,
        holdUntilGenerateRequests: Int? = nil,
        headers: [String: String] = [:]
    ) {
        self.headers = headers
        self.status = status
        self.body = body
        self.delay = delay
        self.truncateAfter = truncateAfter
        self.holdUntilGenerateRequests = holdUntilGenerateRequests
    }
}

/// A latch a test opens to let held answers go (`FakeResponse.heldBy`).
package final class Gate: Sendable {
    private let open = Atomic<Bool>(false)
    package init() {}
    package var isOpen: Bool { open.load(ordering: .acquiring) }
    package func release() { open.store(true, ordering: .releasing) }
}

/// A real HTTP/1.1 server on 127.0.0.1 and a free port, answering with a test's handler and
/// recording every request. It speaks HTTP only: what the Gemini API would answer is the handler's job.
package final class FakeGeminiServer: Sendable {
    package let port: Int
    private let channel: any Channel
    private let recorded = Mutex<[RecordedRequest]>([])
    /// Requests received and not yet answered, and the most seen at once.
    private let inFlight = Mutex<(now: Int, peak: Int)>((0, 0))
    let handler: @Sendable (RecordedRequest) -> FakeResponse

    package var baseURL: String { "http://127.0.0.1:\(port)" }
    package var requests: [RecordedRequest] { recorded.withLock { $0 } }
    /// Only the image requests (POST …:generateContent), not key probes.
    package var generateRequests: [RecordedRequest] {
        requests.filter { $0.method == "POST" && $0.path.hasSuffix(":generateContent") }
    }

    package static func start(
        _ handler: @escaping @Sendable (RecordedRequest) -> FakeResponse
    ) async throws -> FakeGeminiServer {
        let box = ServerBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // No pipelining assistance: it would hold back the mid-response close of a truncated answer.
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false)
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = FakeGeminiServer(channel: channel, handler: handler)
        box.server.withLock { $0 = server }
        return server
    }

    private init(channel: any Channel, handler: @escaping @Sendable (RecordedRequest) -> FakeResponse) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.handler = handler
    }

    func record(_ request: RecordedRequest) -> FakeResponse {
        recorded.withLock { $0.append(request) }
        inFlight.withLock {
            $0.now += 1
            $0.peak = max($0.peak, $0.now)
        }
        return handler(request)
    }

    func answered() {
        inFlight.withLock { $0.now -= 1 }
    }

    /// The most requests this server had in hand at one moment: proof of parallel callers that does
    /// not depend on how loaded the machine is.
    package var peakConcurrency: Int { inFlight.withLock { $0.peak } }

    package func shutdown() async {
        try? await channel.close()
    }
}

/// Lets child channels reach the server once it exists.
final class ServerBox: Sendable {
    let server = Mutex<FakeGeminiServer?>(nil)
}

final class RequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let box: ServerBox
    var head: HTTPRequestHead?
    var body: [UInt8] = []

    init(box: ServerBox) {
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head, let server = box.server.withLock({ $0 }) else { return }
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let response = server.record(
                RecordedRequest(method: "\(head.method)", path: head.uri, headers: headers, body: body)
            )
            let loop = context.eventLoop.assumeIsolated()
            let giveUp = NIODeadline.now() + .seconds(30)
            let gateGivesUp = NIODeadline.now() + .seconds(120)
            func sendWhenReleased() {
                if let gate = response.heldBy, !gate.isOpen, NIODeadline.now() < gateGivesUp {
                    loop.scheduleTask(in: .milliseconds(20)) { sendWhenReleased() }
                } else if let count = response.holdUntilGenerateRequests, server.generateRequests.count < count,
                    NIODeadline.now() < giveUp
                {
                    loop.scheduleTask(in: .milliseconds(5)) { sendWhenReleased() }
                } else {
                    send(response, context: context)
                }
            }
            if response.delay > .zero {
                let nanos =
                    response.delay.components.seconds * 1_000_000_000 + response.delay.components.attoseconds
                    / 1_000_000_000
                loop.scheduleTask(in: .nanoseconds(nanos)) { sendWhenReleased() }
            } else {
                sendWhenReleased()
            }
        }
    }

    func send(_ response: FakeResponse, context: ChannelHandlerContext) {
        defer { box.server.withLock { $0 }?.answered() }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json; charset=UTF-8")
        headers.add(name: "content-length", value: String(response.body.count))
        for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        let head = HTTPResponseHead(
            version: .http1_1,
            status: HTTPResponseStatus(statusCode: response.status),
            headers: headers
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        let bytes = response.truncateAfter.map { Array(response.body.prefix($0)) } ?? response.body
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        if response.truncateAfter != nil {
            context.flush()
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// Runs `body` against a fake server answering with `handler`, and shuts the server down before
/// returning, whether `body` returns or throws: awaited, never left to a task that outlives the test.
package func withFakeGemini<Result>(
    isolation: isolated (any Actor)? = #isolation,
    _ handler: @escaping @Sendable (RecordedRequest) -> FakeResponse,
    _ body: (FakeGeminiServer) async throws -> Result
) async throws -> Result {
    let server = try await FakeGeminiServer.start(handler)
    do {
        let result = try await body(server)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}
