import Outbox
import SystemSupport
import Testing

@testable import SceneDropCore

/// The newest drop of a session wins, by claim order, whatever order the drops finish in.
@Suite struct SessionVersionsTests {
    func publish(_ versions: SessionVersions, _ session: String, _ sequence: Int) throws -> String {
        switch try versions.publishUnlessSuperseded(
            session: session,
            sequence: sequence,
            { .published(.created, previousSource: nil) }
        ) {
        case .superseded(let newer): return "superseded by \(newer)"
        case .published: return "published"
        default: return "other"
        }
    }

    @Test func anOlderDropFinishingLastIsSupersededAndANewerOneFinishingLastPublishes() throws {
        let versions = SessionVersions()
        for sequence in 1...4 { versions.started(sequence) }
        versions.decoded(session: "s", sequence: 2, file: "v2.json")
        versions.decoded(session: "s", sequence: 1, file: "v1.json")
        #expect(try publish(versions, "s", 2) == "published")
        versions.ended(2)
        // The older one finishes after the newer one has ended: still superseded.
        #expect(try publish(versions, "s", 1) == "superseded by v2.json")
        versions.ended(1)
        // Older first, then newer: both publish, the newer last.
        versions.decoded(session: "t", sequence: 3, file: "t3.json")
        #expect(try publish(versions, "t", 3) == "published")
        versions.decoded(session: "t", sequence: 4, file: "t4.json")
        #expect(try publish(versions, "t", 4) == "published")
        versions.ended(3)
        versions.ended(4)
        #expect(versions.trackedSessions == 0, "nothing kept once nothing older is in flight")
    }

    @Test func whatNoClaimInFlightCanBeOlderThanIsForgotten() {
        let versions = SessionVersions()
        for sequence in 1...4 { versions.started(sequence) }
        versions.decoded(session: "a", sequence: 1, file: "a.json")
        versions.decoded(session: "b", sequence: 4, file: "b.json")
        versions.ended(2)
        #expect(versions.trackedSessions == 2, "claim 1 is still in flight")
        versions.ended(1)
        #expect(versions.trackedSessions == 1, "a's newest (1) is older than every claim in flight: forgotten")
        versions.ended(3)
        #expect(
            versions.trackedSessions == 0,
            "b's newest is the oldest claim in flight: nothing older can be superseded"
        )
        versions.ended(4)
        #expect(versions.trackedSessions == 0)
    }
}
