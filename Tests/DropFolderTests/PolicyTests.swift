import DropFolder
import SystemSupport
import Testing

@Suite struct InboxFilterTests {
    @Test(arguments: ["a.json", "A.JSON", "scene drop.Json", "x.y.json"])
    func manifestsAreAccepted(name: String) {
        #expect(InboxFilter.accepts(name))
    }

    @Test(arguments: [
        ".a.json", "._a.json", ".DS_Store", ".a.json.XyZ12", "~$a.json", "a.json~", "a.json.tmp", "a.json.part",
        "a.partial",
        "a.json.crdownload", "a.json.download", "a.json.filepart", "a.json.swp", "Thumbs.db", "a.txt", ".json",
        "a.json.error.json",
        "a.jsonx", "",
    ])
    func temporaryAndHiddenNamesAreIgnored(name: String) {
        #expect(!InboxFilter.accepts(name))
    }
}

@Suite struct StabilityGateTests {
    let observation = StabilityGate.Observation(size: 10, mtimeNanoseconds: 5, inode: 1)

    @Test func aFileMustStayUnchangedForTheSettleInterval() {
        var gate = StabilityGate(settle: 1)
        #expect(gate.observe("a", observation, now: 100) == .recheck(at: 101))
        #expect(gate.observe("a", observation, now: 100.5) == .recheck(at: 101))
        #expect(gate.observe("a", observation, now: 101) == .stable)
        #expect(gate.trackedCount == 0)
    }

    @Test func aChangeRestartsTheInterval() {
        var gate = StabilityGate(settle: 1)
        _ = gate.observe("a", observation, now: 100)
        var grown = observation
        grown.size = 20
        #expect(gate.observe("a", grown, now: 101.5) == .recheck(at: 102.5))
        var touched = grown
        touched.mtimeNanoseconds = 9
        #expect(gate.observe("a", touched, now: 102.5) == .recheck(at: 103.5))
        var replaced = touched
        replaced.inode = 2
        #expect(gate.observe("a", replaced, now: 103.5) == .recheck(at: 104.5))
        #expect(gate.observe("a", replaced, now: 104.5) == .stable)
    }

    @Test func forgottenAndVanishedNamesStartAgain() {
        var gate = StabilityGate(settle: 2)
        _ = gate.observe("a", observation, now: 0)
        _ = gate.observe("b", observation, now: 0)
        gate.forget("a")
        gate.retain(only: ["a"])
        #expect(gate.trackedCount == 0)
        #expect(gate.observe("b", observation, now: 5) == .recheck(at: 7))
    }

    @Test func zeroSettleTakesAtTheSecondLook() {
        var gate = StabilityGate(settle: 0)
        #expect(gate.observe("a", observation, now: 0) == .recheck(at: 0))
        #expect(gate.observe("a", observation, now: 0) == .stable)
    }
}
