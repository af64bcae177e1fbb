import FakeGemini
import Foundation
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct InstanceTests {
    @Test func claimsOfADeadInstanceComeBack() async throws {
        try await withTemporaryDirectory { root in
            // What a crashed instance leaves: an unlocked lock file, claims in its folder, a staging folder.
            try writeFile(root + "/.scenedrop/work/gone-1-dead.lock", "")
            try writeFile(root + "/.scenedrop/work/gone-1-dead/1~orphan-a.json", manifestJSON(session: "orphan-a"))
            try writeFile(root + "/.scenedrop/work/gone-1-dead/2~orphan-b.json", manifestJSON(session: "orphan-b"))
            try writeFile(root + "/outbox/.staging/gone-1-dead~orphan-a~x/scene-001.png", "half")
            let daemon = try await WatchDaemon.start(root)
            let sessions = try await waitForSessions(daemon.outbox, count: 2)
            #expect(Set(sessions.map(\.name)) == ["orphan-a", "orphan-b"])
            #expect(!FileSystem.exists(root + "/.scenedrop/work/gone-1-dead"))
            #expect(listNames(root + "/outbox/.staging", hidden: true).isEmpty)
            #expect(try await daemon.stop() == 0)
            #expect(claimsInWork(root) == 0)
        }
    }

    @Test(arguments: [2, 4])
    func instancesOnOneRootPublishEachManifestOnce(instances: Int) async throws {
        try await withTemporaryDirectory { root in
            var daemons: [WatchDaemon] = []
            for i in 0..<instances {
                daemons.append(
                    try await WatchDaemon.start(
                        root,
                        ["--concurrency", "2", "--rescan-interval", "1s"],
                        name: "instance-\(i)"
                    )
                )
            }
            let count = 300
            try FileSystem.makeDirectories(root + "/drop")
            for i in 0..<count {
                try writeFile(root + "/drop/m\(i).json", manifestJSON(session: "shared-\(i)", width: 128, height: 72))
                try FileSystem.rename(root + "/drop/m\(i).json", root + "/inbox/m\(i).json")
            }
            try await waitForSessions(root + "/outbox", count: count, timeout: .seconds(300))
            for daemon in daemons { #expect(try await daemon.stop() == 0) }
            let publishes = daemons.flatMap(\.publishes)
            #expect(publishes.count == count, "counted publishes across instances")
            #expect(Set(publishes).count == count)
            #expect(daemons.filter { !$0.publishes.isEmpty }.count >= 2, "the work was shared")
            #expect(claimsInWork(root) == 0)
        }
    }

    @Test func killedInstanceLosesNothing() async throws {
        // The first instance's requests are never answered, so its claims stay in hand until the kill
        // however slowly this test gets to look (a window of rendering time was missed under load).
        let held = GeminiEmulator { _ in GeminiEmulator.image([], delay: .seconds(300)) }
        try await withFakeGemini({ held.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let count = 6
                for i in 0..<count {
                    try writeFile(
                        root + "/inbox/big-\(i).json",
                        manifestJSON(session: "big-\(i)", scenes: 8, width: 1920, height: 1080)
                    )
                }
                let environment = [
                    "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                ]
                let first = try await WatchDaemon.start(
                    root,
                    ["--concurrency", "1", "--max-sessions", "3", "--request-timeout", "600s"],
                    name: "first",
                    environment: environment
                )
                try await waitUntil("claims in hand") { claimsInWork(root) == 3 && server.generateRequests.count > 0 }
                first.process.signal(SIGKILL)
                _ = try await first.process.waitForExit()
                // The second has no key: placeholders, so it finishes whatever the first held.
                let second = try await WatchDaemon.start(root, ["--concurrency", "2"], name: "second")
                let sessions = try await waitForSessions(root + "/outbox", count: count, timeout: .seconds(300))
                #expect(sessions.count == count)
                for session in sessions { #expect(session.sceneEntries.count == 8) }
                #expect(try await second.stop() == 0)
                #expect(claimsInWork(root) == 0)
                #expect(listNames(root + "/outbox/.staging", hidden: true).isEmpty)
                #expect(listNames(root + "/quarantine").isEmpty)
            }
        }
    }
}
