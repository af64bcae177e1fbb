import Foundation
import Synchronization
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// The receiving end of systemd's notify socket, for tests: an AF_UNIX datagram socket bound to a path
/// (or, `@name`, to the abstract namespace), read by a thread of its own into `messages`.
package final class NotifySocket: Sendable {
    package let path: String
    private let fd: Int32
    private let received = Mutex<[String]>([])
    private let stopped = Atomic<Bool>(false)
    private let ended = Atomic<Bool>(false)

    package init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.current("socket", path) }
        var (address, length) = try SystemdNotifier.address(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let error = SystemError.current("bind", path)
            close(fd)
            throw error
        }
        // A receive timeout, so the reader notices `stop()`.
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in read() }
        thread.start()
    }

    /// Every datagram received so far, in order.
    package var messages: [String] { received.withLock { $0 } }

    /// The datagrams' lines, in order.
    package var lines: [String] { messages.flatMap { $0.split(separator: "\n").map(String.init) } }

    private func read() {
        defer { ended.store(true, ordering: .releasing) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .acquiring) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                received.withLock { $0.append(text) }
            }
        }
    }

    /// Stops the reader (within 0.1 s) and closes the socket.
    package func stop() async throws {
        stopped.store(true, ordering: .releasing)
        try await waitUntil("the notify socket's reader to end") { ended.load(ordering: .acquiring) }
        close(fd)
        if !path.hasPrefix("@") { unlink(path) }
    }
}
