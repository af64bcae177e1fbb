import SystemSupport
import TestSupport
import Testing

@Suite struct BurstTests {
    @Test func twoThousandManifestsAtOnceArePublishedExactlyOnce() async throws {
        try await withTemporaryDirectory { root in
            let daemon = try await Daemon.start(root, ["--concurrency", "8", "--rescan-interval", "2s"])
            let count = 2000
            // Written beside the inbox, then renamed in as fast as possible: a burst of IN_MOVED_TO.
            try FileSystem.makeDirectories(root + "/staging-area")
            for i in 0..<count {
                try writeFile(root + "/staging-area/m\(i).json", manifestJSON(session: "burst-\(i)", width: 128, height: 72, prompt: "b"))
            }
            for i in 0..<count {
                try FileSystem.rename(root + "/staging-area/m\(i).json", daemon.inbox + "/m\(i).json")
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
}
