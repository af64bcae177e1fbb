#if canImport(Glibc)
import Glibc
#endif

/// systemd's readiness protocol (sd_notify(3)) without linking libsystemd: each message is one datagram
/// of `KEY=value` lines sent to the AF_UNIX socket named by `NOTIFY_SOCKET` (a path, or `@name` for the
/// abstract namespace). Outside systemd (no `NOTIFY_SOCKET`) there is no notifier and nothing is sent.
///
/// `WATCHDOG_USEC` (set when the unit has `WatchdogSec=`) is the interval within which `WATCHDOG=1`
/// must arrive; `WATCHDOG_PID`, when set, names the process it is meant for.
package struct SystemdNotifier: Sendable, Equatable {
    package let socketPath: String
    /// How often to send `WATCHDOG=1` (half the unit's `WatchdogSec`), or nil without a watchdog.
    package let watchdogInterval: Duration?

    /// From the environment; nil when not started by systemd with `Type=notify`.
    package init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.hasPrefix("/") || path.hasPrefix("@") else {
            return nil
        }
        socketPath = path
        if let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0,
            environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true
        {
            watchdogInterval = .microseconds(Int64(usec / 2))
        } else {
            watchdogInterval = nil
        }
    }

    /// The process environment, as `init?(environment:)` reads it.
    package static func fromProcessEnvironment() -> SystemdNotifier? {
        var environment: [String: String] = [:]
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return SystemdNotifier(environment: environment)
    }

    /// Sends one message, e.g. `["READY=1", "STATUS=watching"]`. A datagram to a local socket does not
    /// block for long, but it is a system call: callers run it on the I/O threads.
    package func send(_ lines: [String]) throws(SystemError) {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .current("socket", socketPath) }
        defer { close(fd) }
        var (address, length) = try Self.address(socketPath)
        let message = Array((lines.joined(separator: "\n") + "\n").utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                message.withUnsafeBytes {
                    sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sockaddrPointer, length)
                }
            }
        }
        guard sent == message.count else { throw .current("sendto", socketPath) }
    }

    /// The socket address for `path`; `@name` is Linux's abstract namespace, spelled with a leading
    /// NUL byte. Also used by the tests' receiving socket.
    package static func address(_ path: String) throws(SystemError) -> (sockaddr_un, socklen_t) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(path.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else {
            throw SystemError(errno: ENAMETOOLONG, call: "socket address", paths: [path])
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        // A path counts its terminating NUL; an abstract name is exactly its bytes.
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        return (address, length)
    }
}
