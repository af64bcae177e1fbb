import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// How many HTTP connections are open, shared by every connection's `ConnectionGuard`.
final class ConnectionCount: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place; false when all `limit` are taken (the place is then not taken).
    func enter() -> Bool {
        let now = open.add(1, ordering: .relaxed).newValue
        guard now <= limit else {
            open.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func leave() { open.subtract(1, ordering: .relaxed) }
}

/// The first handler after HTTP decoding on every connection, ahead of routing:
///
/// - **A cap on connections.** Every descriptor the web view holds is one the pipeline cannot use: 1,045 idle
///   connections once took the daemon to its descriptor limit, and the inbox could no longer be listed. Past
///   `ConnectionCount.limit` a new connection is closed at once.
/// - **Ambiguous framing is refused.** A request whose `Transfer-Encoding` is anything but `chunked`, or that
///   carries more than one `Host`, cannot be framed safely (RFC 9112 §6.1, §3.2): it gets 400 and the connection
///   is closed before the request reaches any route, so no proxy in front can be made to read it another way.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let count: ConnectionCount
    private var counted = false
    /// Set once the connection is refused: nothing more is read from it.
    private var refused = false

    init(count: ConnectionCount) {
        self.count = count
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if count.enter() {
            counted = true
        } else {
            refused = true
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if counted {
            counted = false
            count.leave()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if case .head(let request) = unwrapInboundIn(data), let problem = Self.framingProblem(request) {
            refused = true
            let body = "Bad request: \(problem).\n"
            var head = HTTPResponse(status: .badRequest)
            head.headerFields[.connection] = "close"
            head.headerFields[.contentType] = "text/plain; charset=utf-8"
            head.headerFields[.contentLength] = String(body.utf8.count)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(string: body))), promise: nil)
            // Closed once the answer is out; the channel (unlike the context) may be used from the callback.
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
    }

    /// Why a request cannot be framed safely, or nil.
    static func framingProblem(_ request: HTTPRequest) -> String? {
        let codings = request.headerFields[values: .transferEncoding]
        if !codings.isEmpty {
            let all = codings.flatMap { $0.split(separator: ",") }.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            if all != ["chunked"] {
                return "Transfer-Encoding \"\(codings.joined(separator: ", "))\" is not supported (only chunked)"
            }
            if request.headerFields[.contentLength] != nil {
                return "both Transfer-Encoding and Content-Length"
            }
        }
        if request.headerFields[HTTPField.Name("Host")!] != nil {
            return "more than one Host"
        }
        return nil
    }
}
