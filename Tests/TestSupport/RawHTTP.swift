import Foundation
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 client on a plain socket, for tests that must send exactly what they say (`..` kept
/// as it is, half a request, a client that never reads), and read exactly what came back.
///
/// Reads never block a thread: a test waiting on a blocking `recv` holds one of the cooperative
/// pool's two threads, and two such waits stall every other test in the process (in-process daemons
/// and the fake API included) until they time out — which is how CI once failed.
package final class RawHTTPConnection {
    package let fd: Int32
    private var buffer: [UInt8] = []

    package init(port: Int, host: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.current("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = SystemError.current("connect", "\(host):\(port)")
            Glibc.close(fd)
            throw error
        }
    }

    deinit { Glibc.close(fd) }

    /// Makes the receive buffer small, so a client that never reads fills it soon.
    package func shrinkReceiveBuffer() {
        var size: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    package func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw SystemError.current("send") }
            sent += n
        }
    }

    /// Reads until `done(received)` holds or the peer closes; throws after `timeout`. Between
    /// arrivals it sleeps (a task suspension, not a blocked thread), longer the longer nothing
    /// comes, up to 50 ms.
    @discardableResult
    package func read(
        timeout: Duration = defaultWaitTimeout,
        until done: ([UInt8]) -> Bool = { _ in false }
    ) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var pause = Duration.milliseconds(5)
        while !done(buffer) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
            if n == 0 { return buffer }
            if n < 0 {
                guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else {
                    throw SystemError.current("recv")
                }
                if ContinuousClock.now > deadline {
                    throw TimedOut(what: "an HTTP answer (\(buffer.count) bytes so far)")
                }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(50))
                continue
            }
            pause = .milliseconds(5)
            buffer += chunk[0..<n]
        }
        return buffer
    }

    package var received: String { String(decoding: buffer, as: UTF8.self) }
}

/// One request on its own connection (`Connection: close`), read to the end.
package enum RawHTTP {
    package struct Answer: Sendable {
        package var status: Int
        /// Lower-cased names; repeated headers joined with "\n".
        package var headers: [String: String]
        package var body: [UInt8]
        package var text: String { String(decoding: body, as: UTF8.self) }
    }

    package static func request(
        port: Int,
        _ method: String = "GET",
        _ target: String,
        headers: [String: String] = [:],
        body: String = "",
        host: String = "127.0.0.1"
    ) async throws -> Answer {
        let connection = try RawHTTPConnection(port: port, host: host)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if method != "GET" || !body.isEmpty { head += "Content-Length: \(body.utf8.count)\r\n" }
        try connection.send(head + "\r\n" + body)
        return try parse(await connection.read())
    }

    package static func parse(_ bytes: [UInt8]) throws -> Answer {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard
            let end = (0...max(0, bytes.count - 4)).first(where: {
                Array(bytes[$0..<min($0 + 4, bytes.count)]) == separator
            })
        else {
            throw ParseFailure(text: String(decoding: bytes.prefix(300), as: UTF8.self))
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw ParseFailure(text: lines[0]) }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + "\n" + value } ?? value
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Answer(status: status, headers: headers, body: body)
    }

    static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                let size = Int(
                    String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";")[0],
                    radix: 16
                ), size > 0
            else { break }
            let start = lineEnd + 2
            out += bytes[start..<min(start + size, bytes.count)]
            index = start + size + 2
        }
        return out
    }

    package struct ParseFailure: Error, CustomStringConvertible {
        package var text: String
        package var description: String { "not an HTTP answer: \(text)" }
    }
}
