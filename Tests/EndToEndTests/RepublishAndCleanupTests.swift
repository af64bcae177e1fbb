import Foundation
import Synchronization
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct RepublishAndCleanupTests {
    @Test func reDropReplacesTheSessionInOneStep() async throws {
        try await withTemporaryDirectory { root in
            let daemon = try await WatchDaemon.start(root)
            let first = manifestJSON(session: "redo", scenes: 3, prompt: "first version")
            try dropFile(daemon.inbox + "/redo.json", first)
            try await waitForSessions(daemon.outbox, count: 1)

            // A reader that looks at the session continuously while it is replaced.
            let stop = Atomic<Bool>(false)
            let misses = Atomic<Int>(0)
            let looks = Atomic<Int>(0)
            let outbox = daemon.outbox
            let reader = Thread {
                while !stop.load(ordering: .relaxed) {
                    if !FileSystem.exists(outbox + "/redo/session.json")
                        || !FileSystem.exists(outbox + "/redo/scene-003.png")
                    {
                        misses.add(1, ordering: .relaxed)
                    }
                    looks.add(1, ordering: .relaxed)
                }
            }
            reader.start()
            let second = manifestJSON(session: "redo", scenes: 3, prompt: "second version")
            try dropFile(daemon.inbox + "/redo.json", second)
            try await waitUntil("the second version") { readText(daemon.outbox + "/redo/manifest.json") == second }
            stop.store(true, ordering: .relaxed)
            #expect(looks.load(ordering: .relaxed) > 0)
            #expect(misses.load(ordering: .relaxed) == 0, "the session was missing or partial while replaced")
            #expect(try publishedSessions(daemon.outbox).count == 1)
            #expect(
                jsonObject(daemon.outbox + "/redo/scene-001.json").flatMap {
                    ($0["prompt"] as? [String: Any])?["original"] as? String
                } == "second version 1"
            )
            // The old session is removed right after the exchange.
            try await daemon.waitUntil("the old session to be removed") {
                listNames(daemon.outbox + "/.staging", hidden: true).isEmpty
            }
            #expect(try await daemon.stop() == 0)
            #expect(
                daemon.process.logRecords(.sessionPublished).map { $0["scenedrop.replaced"] } == ["false", "true"]
            )
        }
    }

    func age(_ path: String, days: Double) {
        let t = WallClock.now() - days * 86_400
        var times = [timespec(tv_sec: Int(t), tv_nsec: 0), timespec(tv_sec: Int(t), tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    @Test func cleanupCommandRemovesOldKeepsYoungAndPinned() async throws {
        try await withTemporaryDirectory { root in
            for name in ["old", "young", "pinned"] {
                try writeFile(root + "/inbox/\(name).json", manifestJSON(session: name))
            }
            try writeFile(root + "/inbox/broken.json", "{")
            let processed = try await SceneDropProcess.run(
                ["process", "--root", root, "--settle", "0s"],
                logDirectory: root
            )
            #expect(processed.status == 1, "a quarantined manifest makes process exit 1")
            age(root + "/outbox/old/session.json", days: 10)
            age(root + "/outbox/pinned/session.json", days: 10)
            try writeFile(root + "/outbox/pinned/.keep", "")
            age(root + "/quarantine/broken.json.error.json", days: 40)
            try writeFile(root + "/outside/precious.txt", "mine")
            #expect(symlink(root + "/outside", root + "/outbox/linked") == 0)

            let dry = try await SceneDropProcess.run(
                [
                    "cleanup", "--root", root, "--older-than", "7d", "--quarantine-older-than", "30d", "--dry-run",
                    "--json",
                ],
                logDirectory: root
            )
            #expect(dry.status == 0)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any])
            #expect(report["dry_run"] as? Bool == true)
            let wouldRemove = Set((report["removed"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
            #expect(wouldRemove == ["old", "broken.json"])
            #expect(listNames(root + "/outbox") == ["linked", "old", "pinned", "young"], "dry run removes nothing")

            let real = try await SceneDropProcess.run(
                ["cleanup", "--root", root, "--older-than", "7d", "--quarantine-older-than", "30d"],
                logDirectory: root
            )
            #expect(real.status == 0)
            #expect(real.stdout.contains("removed 2 item(s)"))
            #expect(real.stdout.contains("pinned by .keep"))
            #expect(listNames(root + "/outbox") == ["linked", "pinned", "young"])
            #expect(listNames(root + "/quarantine").isEmpty)
            #expect(readText(root + "/outside/precious.txt") == "mine")
            #expect(listNames(root + "/outbox", hidden: true).allSatisfy { !$0.hasPrefix(".trash") })
        }
    }

    @Test func daemonRetentionScheduleRemovesOldSessions() async throws {
        try await withTemporaryDirectory { root in
            try writeFile(root + "/inbox/stale.json", manifestJSON(session: "stale"))
            let processed = try await SceneDropProcess.run(
                ["process", "--root", root, "--settle", "0s"],
                logDirectory: root
            )
            #expect(processed.status == 0)
            age(root + "/outbox/stale/session.json", days: 3)
            let daemon = try await WatchDaemon.start(root, ["--retention", "2d", "--cleanup-interval", "1s"])
            try await waitUntil("the retention schedule") { !FileSystem.exists(root + "/outbox/stale") }
            try writeFile(daemon.inbox + "/fresh.json", manifestJSON(session: "fresh"))
            try await waitForSessions(daemon.outbox, count: 1)
            #expect(try await daemon.stop() == 0)
            #expect(listNames(root + "/outbox") == ["fresh"])
        }
    }

    @Test func notifyDirGetsAWholeCopyOfSessionJSON() async throws {
        try await withTemporaryDirectory { root in
            let daemon = try await WatchDaemon.start(root, ["--notify-dir", root + "/next-stage"])
            try dropFile(daemon.inbox + "/chained.json", manifestJSON(session: "chained"))
            try await waitForSessions(daemon.outbox, count: 1)
            try await waitUntil("the notification") { FileSystem.exists(root + "/next-stage/chained.json") }
            #expect(readFile(root + "/next-stage/chained.json") == readFile(daemon.outbox + "/chained/session.json"))
            #expect(listNames(root + "/next-stage", hidden: true) == ["chained.json"])
            #expect(try await daemon.stop() == 0)
        }
    }
}
