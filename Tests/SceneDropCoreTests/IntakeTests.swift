import DropFolder
import Logging
import SystemSupport
import TestSupport
import Testing

@testable import SceneDropCore

/// The intake's timers on a test clock: nothing fires until the test moves time, so settle, backoff
/// and patience are checked exactly, and wall time (a clock step) plays no part in them.
@Suite struct IntakeTests {
    struct Rig {
        let intake: Intake
        let work: WorkArea
        let clock: ManualClock
        let layout: Layout
        var claims: AsyncStream<(ClaimedManifest, Double)>.Iterator
        var rechecks: AsyncStream<Double>.Iterator

        var inHand: [String] { work.claimsInHand().map(\.originalName).sorted() }
    }

    func rig(
        _ root: String,
        mode: Daemon.Mode = .watch,
        configure: (inout Configuration) -> Void = { _ in }
    ) throws -> Rig {
        let layout = Layout(root: root)
        try layout.create()
        var configuration = Configuration(layout: layout)
        configure(&configuration)
        let work = try WorkArea(inbox: layout.inbox, workRoot: layout.work, instanceID: WorkArea.makeInstanceID())
        let clock = ManualClock()
        let (claims, claimsOut) = AsyncStream.makeStream(of: (ClaimedManifest, Double).self)
        let (rechecks, rechecksOut) = AsyncStream.makeStream(of: Double.self)
        let intake = Intake(
            configuration: configuration,
            work: work,
            mode: mode,
            clock: MonotonicClock(clock),
            logger: Logger(label: "test"),
            output: claimsOut,
            recheckRequests: rechecksOut
        )
        return Rig(
            intake: intake,
            work: work,
            clock: clock,
            layout: layout,
            claims: claims.makeAsyncIterator(),
            rechecks: rechecks.makeAsyncIterator()
        )
    }

    @Test func aRescannedFileIsClaimedOnlyOnceItHasSettledOnTheClock() async throws {
        try await withTemporaryDirectory { root in
            var r = try rig(root) { $0.settle = .seconds(1) }
            defer { r.work.close() }
            try writeFile(r.layout.inbox + "/a.json", manifestJSON(session: "a"))
            await r.intake.rescan()
            #expect(r.inHand.isEmpty, "a file first seen by a rescan is not taken yet")
            // The recheck is asked for one settle later, on the injected clock.
            let due = await r.rechecks.next()
            #expect(due == 1.0)
            r.clock.advance(by: .milliseconds(950))
            await r.intake.rescan()
            #expect(r.inHand.isEmpty, "taken before it had been unchanged for --settle")
            r.clock.advance(by: .milliseconds(50))
            await r.intake.rescan()
            #expect(r.inHand == ["a.json"])
            let claim = await r.claims.next()
            #expect(claim?.0.originalName == "a.json")
        }
    }

    /// A close event for a file whose JSON ends early (a writer that will open it again) does not claim it: it
    /// waits on the gate, is looked at again one settle later, and is claimed once whole, or once it has stopped
    /// changing for the settle interval (then judged as it is). A whole file's close event claims it at once.
    @Test func aCloseEventForAnUnfinishedFileWaitsOnTheGate() async throws {
        try await withTemporaryDirectory { root in
            var r = try rig(root) { $0.settle = .seconds(1) }
            defer { r.work.close() }
            let whole = manifestJSON(session: "half")
            try writeFile(r.layout.inbox + "/half.json", String(whole.prefix(whole.count / 2)))
            await r.intake.arrived("half.json")
            #expect(r.inHand.isEmpty, "half a manifest taken at its first close")
            #expect(await r.rechecks.next() == 1.0)
            // The rest appended (its close event comes too): now whole, claimed at once.
            try writeFile(r.layout.inbox + "/half.json", whole)
            await r.intake.arrived("half.json")
            #expect(r.inHand == ["half.json"])

            // A truncated file nobody finishes is still taken, after the settle interval, to be judged.
            try writeFile(r.layout.inbox + "/cut.json", "{\"scenes\": [")
            await r.intake.arrived("cut.json")
            #expect(r.inHand == ["half.json"])
            r.clock.advance(by: .seconds(1))
            await r.intake.rescan()
            #expect(r.inHand == ["cut.json", "half.json"])
        }
    }

    @Test func aHandedBackManifestWaitsOutItsBackoffOnTheClock() async throws {
        try await withTemporaryDirectory { root in
            var r = try rig(root) {
                $0.settle = .zero
                $0.initialBackoff = .seconds(2)
            }
            defer { r.work.close() }
            try writeFile(r.layout.inbox + "/b.json", manifestJSON(session: "b"))
            await r.intake.arrived("b.json")
            let claim = try #require(await r.claims.next()?.0)
            let name = try r.work.handBack(claim)
            await r.intake.finished(claim, .handedBack(inboxName: name, error: "EIO"))
            // Its own hand-back shows up as an arrival: it must wait, not be taken again at once.
            await r.intake.arrived(name)
            await r.intake.rescan()
            #expect(r.inHand.isEmpty)
            r.clock.advance(by: .milliseconds(1_990))
            await r.intake.rescan()
            await r.intake.rescan()
            #expect(r.inHand.isEmpty, "retried before its 2 s backoff")
            r.clock.advance(by: .milliseconds(10))
            await r.intake.rescan()  // the gate's first look after the backoff
            await r.intake.rescan()
            #expect(r.inHand == [name.text])
        }
    }

    /// `scenedrop process`: what is there at the first listing is taken once; a file still being
    /// written when the patience (on the clock) runs out is left for the next run, and the claim
    /// stream ends by itself once nothing is left to take.
    @Test func drainOnceTakesWhatIsThereAndGivesUpOnAFileThatKeepsChanging() async throws {
        try await withTemporaryDirectory { root in
            var r = try rig(root, mode: .drainOnce(patience: .seconds(5))) { $0.settle = .seconds(1) }
            defer { r.work.close() }
            try writeFile(r.layout.inbox + "/ready.json", manifestJSON(session: "ready"))
            try writeFile(r.layout.inbox + "/growing.json", "{")
            await r.intake.rescan()
            // A file dropped after the first listing belongs to the next run.
            try writeFile(r.layout.inbox + "/late.json", manifestJSON(session: "late"))
            for step in 1...6 {
                r.clock.advance(by: .seconds(1))
                try writeFile(r.layout.inbox + "/growing.json", "{" + String(repeating: " ", count: step))
                await r.intake.rescan()
            }
            let claim = try #require(await r.claims.next()?.0)
            #expect(claim.originalName == "ready.json")
            await r.intake.finished(claim, .published(session: "ready", scenes: 1, fallbacks: 0, replaced: false))
            let end = await r.claims.next()
            #expect(end == nil, "the claim stream ends once everything is taken or given up")
            #expect(await r.intake.drained)
            let summary = await r.intake.summary
            #expect(summary.published.map(\.file) == ["ready.json"])
            #expect(summary.skipped.map(\.file) == ["growing.json"])
            #expect(summary.skipped.first?.detail.contains("still changing after 5s") == true)
            #expect(listNames(r.layout.inbox) == ["growing.json", "late.json"])
        }
    }
}
