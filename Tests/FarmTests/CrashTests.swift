import Foundation
import Synchronization
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 4's fault suite: `kill -9` at random moments, over and over, during one run.
@Suite struct CrashTests {
    @Test func killNineTwentyTimesDuringARunLosesNothingAndShowsNothingPartial() async throws {
        try await withTemporaryDirectory { root in
            var count = 0
            try FileSystem.makeDirectories(root + "/drop")
            try FileSystem.makeDirectories(root + "/inbox")
            func drop(_ more: Int) throws {
                for i in count..<(count + more) {
                    try writeFile(
                        root + "/drop/m\(i).json",
                        manifestJSON(session: "crash-\(i)", scenes: 3, width: 640, height: 360)
                    )
                    try FileSystem.rename(root + "/drop/m\(i).json", root + "/inbox/m\(i).json")
                }
                count += more
            }
            try drop(200)
            // A reader that never stops looking at the outbox the way a downstream tool does: every session
            // folder it can see must be complete, at every moment of every crash.
            let partial = Mutex<[String]>([])
            let looks = Atomic<Int>(0)
            let done = Atomic<Bool>(false)
            let readerEnded = Atomic<Bool>(false)
            let reader = Thread {
                defer { readerEnded.store(true, ordering: .releasing) }
                while !done.load(ordering: .acquiring) {
                    do {
                        _ = try publishedSessions(root + "/outbox")
                    } catch {
                        partial.withLock { $0.append("\(error)") }
                    }
                    looks.add(1, ordering: .relaxed)
                }
            }
            reader.start()
            defer { done.store(true, ordering: .releasing) }

            var kills = 0
            var rounds: [String] = []
            var daemons: [WatchDaemon] = []
            while kills < 20 {
                // Counted by listing, not by reading every session: a publish is one rename, so an entry is a
                // whole session, and a test process that reads 200 sessions per look falls behind the daemon
                // on a loaded machine (it once saw 60 sessions appear before its first kill).
                let before = listNames(root + "/outbox").count
                // A starved test process can be seconds late to kill (it once saw 47 sessions appear
                // before its first kill): keep work in the inbox so every kill lands mid-run.
                if before + 20 > count { try drop(100) }
                let daemon = try await WatchDaemon.start(
                    root,
                    ["--concurrency", "4", "--max-sessions", "6"],
                    name: "round-\(kills)"
                )
                daemons.append(daemon)
                // A random moment, chosen by progress rather than by the clock: after 0 to 8 more sessions
                // appear, plus a random sliver so the kill lands anywhere inside a session's work.
                let more = Int.random(in: 0...8)
                let target = min(count, before + more)
                try await daemon.waitUntil("\(more) more sessions", timeout: .seconds(60)) {
                    listNames(root + "/outbox").count >= target
                }
                usleep(UInt32.random(in: 0...40_000))
                daemon.process.signal(SIGKILL)
                _ = try await daemon.process.waitForExit()
                #expect(daemon.process.terminationReasonIsSignal)
                kills += 1
                rounds.append("\(before)+\(more)")
            }

            let last = try await WatchDaemon.start(root, name: "after-the-crashes")
            daemons.append(last)
            let sessions = try await waitForSessions(root + "/outbox", count: count, timeout: .seconds(300))
            #expect(try await last.stop() == 0)
            done.store(true, ordering: .releasing)
            try await waitUntil("the outbox reader to end") { readerEnded.load(ordering: .acquiring) }

            #expect(partial.withLock { $0 }.isEmpty, "partial sessions seen: \(partial.withLock { $0.prefix(5) })")
            #expect(looks.load(ordering: .relaxed) > 20, "the reader looked \(looks.load(ordering: .relaxed)) times")
            #expect(Set(sessions.map(\.name)) == Set((0..<count).map { "crash-\($0)" }))
            #expect(sessions.allSatisfy { $0.sceneEntries.count == 3 })
            // The kills landed mid-work: later instances found claims of dead ones and returned them.
            let recoveries = daemons.map {
                $0.process.logRecords(.deadInstanceClaimsReturned).count
            }.reduce(0, +)
            #expect(recoveries >= 10, "dead instances' claims recovered \(recoveries) times in 20 kills: \(rounds)")
            #expect(listNames(root + "/inbox").isEmpty)
            #expect(listNames(root + "/quarantine").isEmpty)
            #expect(claimsInWork(root) == 0, "nothing stays in work/")
            #expect(listNames(root + "/outbox/.staging", hidden: true).isEmpty, "no staging leftovers")
        }
    }
}
