import DropFolder
import Logging
import Synchronization
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Drains a watcher's stream into a buffer the test can wait on.
final class EventCollector: Sendable {
    final class Buffer: Sendable {
        let events = Mutex<[WatchEvent]>([])
    }

    private let buffer = Buffer()
    private let task: Task<Void, Never>

    init(_ events: AsyncStream<WatchEvent>) {
        let buffer = self.buffer
        task = Task {
            for await event in events { buffer.events.withLock { $0.append(event) } }
        }
    }

    var events: [WatchEvent] { buffer.events.withLock { $0 } }

    func arrived(_ name: String) -> Bool { events.contains(.arrived(name: RawName(name))) }

    func waitForWatch() async throws {
        try await waitUntil("the inotify watch to be in place") { events.contains(.watching) }
    }
}

/// Real inotify on real folders. libinotifytools is process-global, so these run one at a time.
@Suite(.serialized) struct InotifyWatcherTests {
    let logger = Logger(label: "test")

    /// Runs `body` with a watcher on `directory` whose watch is in place, and always stops it.
    func withWatcher(_ directory: String, _ body: (InotifyWatcher, EventCollector) async throws -> Void) async throws {
        let (watcher, events) = try InotifyWatcher.start(directory: directory, logger: logger)
        let collector = EventCollector(events)
        do {
            try await collector.waitForWatch()
            try await body(watcher, collector)
        } catch {
            watcher.stop()
            try await waitUntil("the watcher thread to release libinotifytools") { watcher.isFinished }
            throw error
        }
        watcher.stop()
        try await waitUntil("the watcher thread to release libinotifytools") { watcher.isFinished }
    }

    @Test func closeAfterWriteAndMoveInAreReported() async throws {
        try await withTemporaryDirectory { dir in
            try await withWatcher(dir) { _, collector in
                try writeFile(dir + "/copied.json", "{}")
                try dropFile(dir + "/renamed.json", "{}")
                try await waitUntil("both arrivals") {
                    collector.arrived("copied.json") && collector.arrived("renamed.json")
                }
            }
        }
    }

    @Test func aHardLinkMakesNoArrival() async throws {
        // sftp-style drops (link + unlink) raise no close or move event: only the rescan finds them.
        try await withTemporaryDirectory { dir in
            try FileSystem.makeDirectories(dir + "/inbox")
            try writeFile(dir + "/elsewhere.json", "{}")
            try await withWatcher(dir + "/inbox") { _, collector in
                #expect(link(dir + "/elsewhere.json", dir + "/inbox/linked.json") == 0)
                try writeFile(dir + "/inbox/marker.json", "{}")
                try await waitUntil("the marker") { collector.arrived("marker.json") }
                #expect(!collector.arrived("linked.json"))
            }
        }
    }

    @Test func aSecondWatcherInTheSameProcessIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            try await withWatcher(dir) { _, _ in
                #expect(throws: InotifyWatcher.AlreadyActive.self) {
                    try InotifyWatcher.start(directory: dir, logger: logger)
                }
            }
            try await withWatcher(dir) { _, collector in
                try writeFile(dir + "/fresh.json", "{}")
                try await waitUntil("the fresh arrival") { collector.arrived("fresh.json") }
                #expect(collector.events.allSatisfy { $0 == .watching || $0 == .arrived(name: "fresh.json") })
            }
        }
    }

    @Test func queueOverflowIsReportedNotDropped() async throws {
        let limit = Int(readText("/proc/sys/fs/inotify/max_queued_events")?.split(separator: "\n").first ?? "") ?? 16384
        try await withTemporaryDirectory { dir in
            try await withWatcher(dir) { watcher, collector in
                // A stalled reader: the kernel queue fills past fs.inotify.max_queued_events.
                watcher.holdReads(true)
                // Some 16,000 files take seconds to make: on a thread of their own, not the test pool's.
                try await onOwnThread {
                    for i in 0..<(limit + 500) {
                        let fd = open(dir + "/f\(i).json", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
                        close(fd)
                    }
                }
                watcher.holdReads(false)
                // Some 16,000 events to read first: on two loaded cores, with the whole suite beside it, a
                // debug build has taken over 30 s.
                try await waitUntil("an overflow event", timeout: .seconds(180)) {
                    collector.events.contains(.overflow)
                }
                let events = collector.events
                let isArrival: (WatchEvent) -> Bool = { if case .arrived = $0 { return true } else { return false } }
                let arrivals = events.filter(isArrival).count
                // Events were lost (the watcher may read some hundreds before the hold takes effect, so
                // the exact count varies): only a rescan can find every file now. And the overflow comes
                // after every arrival that did fit, so the consumer rescans having seen them all.
                #expect(arrivals < limit + 500, "\(arrivals) arrivals with a queue of \(limit)")
                #expect(arrivals > 0)
                let overflowAt = try #require(events.firstIndex(of: .overflow))
                #expect(
                    (events.lastIndex(where: isArrival) ?? -1) < overflowAt,
                    "an arrival was reported after the overflow"
                )
            }
        }
    }

    @Test func removedInboxIsReportedAndWatchedAgain() async throws {
        try await withTemporaryDirectory { dir in
            try FileSystem.makeDirectories(dir + "/inbox")
            try await withWatcher(dir + "/inbox") { _, collector in
                try FileSystem.removeTree(dir + "/inbox")
                try await waitUntil("the lost watch") { collector.events.contains(.watchLost) }
                try FileSystem.makeDirectories(dir + "/inbox")
                try await waitUntil("the watch to return") { collector.events.filter { $0 == .watching }.count >= 2 }
                try writeFile(dir + "/inbox/back.json", "{}")
                try await waitUntil("an arrival in the new inbox") { collector.arrived("back.json") }
            }
        }
    }
}

@Suite struct WorkAreaTests {
    @Test func onlyOneClaimOfAFileSucceeds() async throws {
        try await withTemporaryDirectory { dir in
            try writeFile(dir + "/inbox/a.json", "{}")
            let one = try WorkArea(inbox: dir + "/inbox", workRoot: dir + "/work", instanceID: "one")
            let two = try WorkArea(inbox: dir + "/inbox", workRoot: dir + "/work", instanceID: "two")
            let first = try one.claim("a.json")
            let second = try two.claim("a.json")
            #expect(first != nil)
            #expect(second == nil)
            #expect(first?.originalName == "a.json")
            #expect(listNames(dir + "/inbox").isEmpty)
        }
    }

    @Test func claimsOfADeadInstanceReturnToTheInbox() async throws {
        try await withTemporaryDirectory { dir in
            // A dead instance without a lease (from before leases): its lock file exists but nobody
            // holds it, and it is dead once it has been seen so for the lease timeout.
            try writeFile(dir + "/work/dead.lock", "")
            try writeFile(dir + "/work/dead/3~orphan.json", "{\"x\": 1}")
            try writeFile(dir + "/work/dead/4~clash.json", "old")
            try writeFile(dir + "/inbox/clash.json", "new")
            let clock = ManualClock()
            let live = try WorkArea(
                inbox: dir + "/inbox",
                workRoot: dir + "/work",
                instanceID: "live",
                leaseTimeout: 60,
                clock: MonotonicClock(clock)
            )
            #expect(live.recoverDeadInstances().isEmpty, "first seen: it gets the whole timeout")
            clock.advance(by: .seconds(59))
            #expect(live.recoverDeadInstances().isEmpty)
            clock.advance(by: .seconds(1))
            let recoveries = live.recoverDeadInstances()
            try #require(recoveries.count == 1)
            #expect(recoveries[0].reason.contains("no readable lease"), "\(recoveries[0].reason)")
            #expect(recoveries[0].returned.count == 2)
            #expect(readText(dir + "/inbox/orphan.json") == "{\"x\": 1}")
            #expect(readText(dir + "/inbox/clash.json") == "new")
            #expect(listNames(dir + "/inbox").count == 3)
            #expect(!FileSystem.exists(dir + "/work/dead"))
            #expect(!FileSystem.exists(dir + "/work/dead.lock"))
        }
    }

    /// A peer on another host: alive while its lease counter moves, dead once it has stood still for
    /// the timeout on the observer's clock (its own clock and wall time never enter the verdict).
    @Test func aPeerWhoseLeaseStandsStillIsDeadAfterTheTimeout() async throws {
        try await withTemporaryDirectory { dir in
            let clock = ManualClock()
            try FileSystem.makeDirectories(dir + "/inbox")
            let me = try WorkArea(
                inbox: dir + "/inbox",
                workRoot: dir + "/work",
                instanceID: "me",
                leaseTimeout: 30,
                clock: MonotonicClock(clock)
            )
            func peerLease(_ counter: UInt64) throws {
                var lease = Lease(instance: "far", counter: counter, startedAt: "2026-12-06T00:00:00Z")
                lease.host = "render-07"
                lease.bootID = "another-machine"
                lease.renewedAt = "2031-01-01T00:00:00Z"  // a wrong clock over there changes nothing
                try lease.write(to: dir + "/work/far.lease")
            }
            try peerLease(1)
            try writeFile(dir + "/work/far/1~busy.json", "{}")
            for counter in 2...6 {
                clock.advance(by: .seconds(20))
                try peerLease(UInt64(counter))
                #expect(me.recoverDeadInstances().isEmpty, "its counter moves: alive")
            }
            clock.advance(by: .seconds(29))
            #expect(me.recoverDeadInstances().isEmpty, "standing still for 29 s of 30")
            clock.advance(by: .seconds(1))
            let recoveries = me.recoverDeadInstances()
            #expect(recoveries.map(\.returned) == [["busy.json"]])
            #expect(recoveries.first?.reason.contains("lease counter stayed at 6") == true)
            #expect(!FileSystem.exists(dir + "/work/far.lease") && !FileSystem.exists(dir + "/work/far"))
        }
    }

    /// A peer on this very machine whose process is gone is dead at once: no need to wait out the lease.
    @Test func aPeerWhoseProcessIsGoneFromThisMachineIsDeadAtOnce() async throws {
        try await withTemporaryDirectory { dir in
            try FileSystem.makeDirectories(dir + "/inbox")
            let me = try WorkArea(inbox: dir + "/inbox", workRoot: dir + "/work", instanceID: "me", leaseTimeout: 3600)
            var lease = Lease(instance: "gone", counter: 7, startedAt: "2026-12-06T00:00:00Z")
            let child = try ChildProcess("/bin/true", [])
            _ = try await child.wait(timeout: .seconds(30))
            lease.pid = child.pid
            try lease.write(to: dir + "/work/gone.lease")
            try writeFile(dir + "/work/gone/1~left.json", "{}")
            #expect(!WorkArea.isAlive("gone", workRoot: dir + "/work"))
            let recoveries = me.recoverDeadInstances()
            #expect(recoveries.map(\.returned) == [["left.json"]])
            #expect(recoveries.first?.reason.contains("is gone") == true)
            #expect(WorkArea.isAlive("me", workRoot: dir + "/work"), "our own process runs")
        }
    }

    @Test func aLiveInstanceIsLeftAlone() async throws {
        try await withTemporaryDirectory { dir in
            let busy = try WorkArea(inbox: dir + "/inbox", workRoot: dir + "/work", instanceID: "busy")
            try writeFile(dir + "/inbox/a.json", "{}")
            _ = try busy.claim("a.json")
            let other = try WorkArea(inbox: dir + "/inbox", workRoot: dir + "/work", instanceID: "other")
            #expect(other.recoverDeadInstances().isEmpty)
            #expect(other.isInstanceAlive("busy"))
            #expect(busy.claimsInHand().count == 1)
            #expect(!other.isInstanceAlive("never-existed"))
        }
    }

    @Test func handBackRestoresTheName() async throws {
        try await withTemporaryDirectory { dir in
            try writeFile(dir + "/inbox/a.json", "1")
            let work = try WorkArea(inbox: dir + "/inbox", workRoot: dir + "/work", instanceID: "me")
            let claim = try #require(try work.claim("a.json"))
            #expect(try work.handBack(claim) == "a.json")
            #expect(readText(dir + "/inbox/a.json") == "1")
            let again = try #require(try work.claim("a.json"))
            try writeFile(dir + "/inbox/a.json", "2")
            let name = try work.handBack(again)
            #expect(name != "a.json" && name.text.hasPrefix("a.") && name.text.hasSuffix(".json"))
            #expect(readText(dir + "/inbox/a.json") == "2")
            work.close()
            #expect(!FileSystem.exists(dir + "/work/me"))
        }
    }
}
