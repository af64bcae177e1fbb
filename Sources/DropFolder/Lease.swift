import Foundation
import SystemSupport

/// `work/<instance>.lease`: how an instance shows it is alive to its peers, on any volume. It counts
/// up every `--lease-renew`; a peer is dead when its counter stops moving for `--lease-timeout` on the
/// observer's own monotonic clock. No two hosts' clocks are ever compared, and no lock has to travel
/// between clients (sshfs and other FUSE mounts, CIFS `nobrl`, NFS `nolock` keep locks local).
package struct Lease: Codable, Sendable, Equatable {
    package static let schemaName = "scenedrop.lease/v1"
    package var schema = Lease.schemaName
    package var instance: String
    package var host: String
    /// The kernel boot and PID namespace the instance runs in: a peer in the same ones can ask the
    /// process table whether it still runs.
    package var bootID: String
    package var pidNamespace: String?
    package var pid: Int32
    /// The process's start in clock ticks since boot: with `pid`, one process for the life of a boot.
    package var processStart: UInt64?
    package var startedAt: String
    package var counter: UInt64
    /// The renewing host's wall time: for people reading the file, never for a verdict.
    package var renewedAt: String
    /// `device:inode` of the inbox folder the instance opened at start: `scenedrop status` compares it with
    /// what the inbox's path names now, to say when the inbox was swapped under a running daemon.
    package var inboxIdentity: String?

    package init(instance: String, counter: UInt64, startedAt: String, inboxIdentity: String? = nil) {
        self.inboxIdentity = inboxIdentity
        self.instance = instance
        self.host = Host.name
        self.bootID = Host.bootID
        self.pidNamespace = Host.pidNamespace
        self.pid = Host.processID
        self.processStart = Host.processStart(Host.processID)
        self.startedAt = startedAt
        self.counter = counter
        self.renewedAt = WallClock.rfc3339(WallClock.now())
    }

    enum CodingKeys: String, CodingKey {
        case schema, instance, host
        case bootID = "boot_id"
        case pidNamespace = "pid_namespace"
        case pid
        case processStart = "process_start"
        case startedAt = "started_at"
        case counter
        case renewedAt = "renewed_at"
        case inboxIdentity = "inbox_identity"
    }

    /// On this very boot of this machine, in this PID namespace, and its process is gone (or the pid
    /// now names a newer process): dead at once, whatever the counter says. Nil when this process
    /// cannot tell (another machine, another container).
    package var processGoneHere: Bool? {
        guard bootID == Host.bootID, bootID != "unknown", pidNamespace == Host.pidNamespace,
            Host.pidNamespace != "unknown"
        else { return nil }
        guard let started = Host.processStart(pid) else { return true }
        return processStart.map { $0 != started } ?? false
    }

    package static func read(_ path: String) -> Lease? {
        guard let bytes = try? FileSystem.readRegularFile(path, limit: 64 * 1024) else { return nil }
        return try? JSONDecoder().decode(Lease.self, from: Data(bytes))
    }

    /// Written whole (temp file and rename): a peer reads the old lease or the new one.
    package func write(to path: String) throws(SystemError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { return }
        try FileSystem.writeAtomically(path, bytes: Array(data) + [10], sync: false)
    }
}

/// Judges peers by their leases as one observer sees them over time. Pure: the caller gives each
/// look's counter and the time on its own monotonic clock.
package struct LeaseWatch: Sendable {
    package enum Verdict: Sendable, Equatable {
        case alive
        case dead(reason: String)
    }

    package let timeout: Double
    /// Per peer: the counter last seen and when (this observer's clock) it was first seen at that value.
    private var seen: [String: (counter: UInt64?, since: Double)] = [:]

    package init(timeout: Double) {
        self.timeout = timeout
    }

    /// One look at a peer's lease counter (`nil`: no lease could be read) at `now`. A peer seen for
    /// the first time gets the whole timeout from now: an observer that just started knows nothing
    /// of how long the counter has stood still.
    package mutating func observe(_ id: String, counter: UInt64?, now: Double) -> Verdict {
        guard let previous = seen[id], previous.counter == counter else {
            seen[id] = (counter, now)
            return .alive
        }
        let still = now - previous.since
        guard still >= timeout else { return .alive }
        let what = counter.map { "its lease counter stayed at \($0)" } ?? "it has no readable lease"
        return .dead(reason: "\(what) for \(Int(still)) s (--lease-timeout \(Int(timeout)) s)")
    }

    /// Forgets a peer (recovered, or gone).
    package mutating func forget(_ id: String) {
        seen[id] = nil
    }

    /// Forgets every peer not in `present`.
    package mutating func retain(only present: Set<String>) {
        seen = seen.filter { present.contains($0.key) }
    }
}
