import Foundation
import SystemSupport
import TestSupport
import Testing

@Suite struct BurstTests {
    @Test func twoThousandManifestsAtOnceArePublishedExactlyOnce() async throws {
        try await withTemporaryDirectory { root in
            let daemon = try await WatchDaemon.start(root, ["--concurrency", "8", "--rescan-interval", "2s"])
            let count = 2000
            // Written beside the inbox, then renamed in as fast as possible: a burst of IN_MOVED_TO.
            try FileSystem.makeDirectories(root + "/staging-area")
            // Thousands of files: written and renamed on a thread of their own, not the test pool's.
            try await onOwnThread {
                for i in 0..<count {
                    try writeFile(
                        root + "/staging-area/m\(i).json",
                        manifestJSON(session: "burst-\(i)", width: 128, height: 72, prompt: "b")
                    )
                }
                for i in 0..<count {
                    try FileSystem.rename(root + "/staging-area/m\(i).json", daemon.inbox + "/m\(i).json")
                }
            }
            let sessions = try await waitForSessions(daemon.outbox, count: count, timeout: .seconds(600))
            #expect(sessions.count == count)
            #expect(try await daemon.stop() == 0)
            let publishes = daemon.publishes
            #expect(publishes.count == count, "each manifest is published once, not only once per folder")
            #expect(Set(publishes).count == count)
            #expect(listNames(daemon.inbox).isEmpty)
            #expect(listNames(daemon.quarantine).isEmpty)
            #expect(claimsInWork(root) == 0)
        }
    }

    /// The kernel's queue overflows for certain: the daemon is stopped (SIGSTOP) while far more events
    /// arrive than its queue holds. Root lowers `fs.inotify.max_queued_events` for the daemon's own inotify
    /// instance only (the limit is read when an instance is created), so the burst stays small.
    @Test(
        .enabled(
            if: getuid() == 0 && access("/proc/sys/fs/inotify/max_queued_events", W_OK) == 0,
            "needs root and a writable /proc/sys to lower fs.inotify.max_queued_events"
        )
    )
    func aBurstPastTheInotifyQueueLosesNothing() async throws {
        try await withTemporaryDirectory { root in
            let limitPath = "/proc/sys/fs/inotify/max_queued_events"
            let original = try #require(readText(limitPath)?.trimmingCharacters(in: .whitespacesAndNewlines))
            try setKernelLimit(limitPath, "128")
            let daemon: WatchDaemon
            do {
                defer { try? setKernelLimit(limitPath, original) }
                daemon = try await WatchDaemon.start(root, ["--concurrency", "8", "--rescan-interval", "30s"])
            }
            #expect(readText(limitPath)?.trimmingCharacters(in: .whitespacesAndNewlines) == original)
            let count = 600
            try FileSystem.makeDirectories(root + "/staging-area")
            try await onOwnThread {
                for i in 0..<count {
                    try writeFile(
                        root + "/staging-area/m\(i).json",
                        manifestJSON(session: "flood-\(i)", width: 128, height: 72, prompt: "f")
                    )
                }
            }
            daemon.process.signal(SIGSTOP)
            try await onOwnThread {
                for i in 0..<count {
                    try FileSystem.rename(root + "/staging-area/m\(i).json", daemon.inbox + "/m\(i).json")
                }
            }
            daemon.process.signal(SIGCONT)
            // The rescan interval is 30 s: only the overflow's own rescan can find most of these in time.
            let sessions = try await waitForSessions(daemon.outbox, count: count, timeout: .seconds(300))
            #expect(sessions.count == count)
            #expect(try await daemon.stop() == 0)
            #expect(daemon.process.logRecords(.inotifyOverflowed).count >= 1)
            let publishes = daemon.publishes
            #expect(publishes.count == count)
            #expect(Set(publishes).count == count)
            #expect(listNames(daemon.quarantine).isEmpty)
            #expect(claimsInWork(root) == 0)
        }
    }
}

/// Writes a value to a /proc/sys file (which exists already and cannot be created or unlinked).
func setKernelLimit(_ path: String, _ value: String) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.write(contentsOf: Data((value + "\n").utf8))
}
