#if canImport(Glibc)
import Glibc
#endif

package enum Host {
    /// This machine's host name, for reports that say where something happened.
    package static var name: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    package static var processID: Int32 { getpid() }

    /// This boot of this machine's kernel (`/proc/sys/kernel/random/boot_id`): two processes that read
    /// the same one share a process table, so one can tell whether the other still runs. Host names
    /// alone cannot say that (containers and clones share them).
    package static let bootID: String = {
        let bytes = (try? FileSystem.readRegularFile("/proc/sys/kernel/random/boot_id", limit: 256)) ?? []
        let text = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
        return text.isEmpty ? "unknown" : text
    }()

    /// This process's PID namespace (`/proc/self/ns/pid`): containers on one machine share its boot
    /// id but not their process tables, so a pid only means something within one namespace.
    package static let pidNamespace: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = readlink("/proc/self/ns/pid", &buffer, buffer.count - 1)
        guard count > 0 else { return "unknown" }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// When the process `pid` started, in clock ticks since boot (`/proc/PID/stat`, field 22); nil
    /// when no such process runs (a zombie has ended: it only waits for its parent to reap it). With
    /// the pid it names one process for the life of a boot: a pid reused by a newer process has a
    /// later start.
    package static func processStart(_ pid: Int32) -> UInt64? {
        guard pid > 0, let bytes = try? FileSystem.readRegularFile("/proc/\(pid)/stat", limit: 4096) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        // The command name (field 2) is in parentheses and may hold spaces: fields are counted after it.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field 22 is fields[19].
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X" else { return nil }
        return UInt64(fields[19])
    }

    /// Whether a process with this ID exists on this machine (it may belong to another user).
    package static func processExists(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}
