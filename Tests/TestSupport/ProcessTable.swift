import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Processes below `pid` (children, their children…), by name, read from /proc.
package func descendants(of pid: pid_t) -> [(pid: pid_t, name: String)] {
    var parentOf: [pid_t: (parent: pid_t, name: String)] = [:]
    for entry in listNames("/proc") {
        guard let id = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
            let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
        else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let parent = pid_t(fields[1]) else { continue }
        parentOf[id] = (parent, String(stat[stat.index(after: open)..<close]))
    }
    var found: [(pid: pid_t, name: String)] = []
    var frontier: Set<pid_t> = [pid]
    while !frontier.isEmpty {
        let next = parentOf.filter { frontier.contains($0.value.parent) }
        found += next.map { ($0.key, $0.value.name) }
        frontier = Set(next.keys)
    }
    return found
}

/// Running (not gone, not a zombie).
package func isAlive(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
}

/// A memory figure of a live process from `/proc/<pid>/status`, in bytes: `VmRSS` (resident now) or `VmHWM` (the
/// kernel's high-water mark of it); nil when the process is gone.
package func processMemory(_ pid: pid_t, _ field: String) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
    }
    return nil
}
