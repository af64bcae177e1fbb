import Foundation
import Logging
import Spend
import Synchronization
import SystemSupport
import TestSupport
import Testing

/// The budget gate on real ledger files: what `reserve` lets through, what it writes, and what
/// `settle` and `release` leave behind, locally and with a coordinator.
@Suite struct BudgetGateTests {
    let noon = 1_795_060_800.0  // 2026-11-19T12:00:00Z

    func charge(_ id: String, _ cost: Double, scene: Int = 1) -> CostLedger.Entry {
        .init(
            id: id,
            time: WallClock.rfc3339(noon),
            model: "m",
            imageSize: "1K",
            costUSD: cost,
            session: "s",
            scene: scene
        )
    }

    func local(_ ledger: CostLedger, daily: Double?) -> LedgerBudget {
        let noon = noon
        return LedgerBudget(ledger: ledger, dailyUSD: daily, logger: Logger(label: "test"), now: { noon })
    }

    @Test func theLedgerBudgetHoldsUntilTodaysSpendReachesIt() async throws {
        await withTemporaryDirectory { dir in
            let ledger = CostLedger(path: dir + "/ledger.jsonl")
            let gate = local(ledger, daily: 0.05)
            #expect(await gate.spentTodayIfDeciding() == 0)
            #expect(await gate.reserve(charge("a", 0.03)) == .granted)
            #expect(await ledger.spentToday(now: noon) == 0.03, "the line is written before the request goes")
            await gate.settle(charge("a", 0.03), costUSD: 0.03, possiblyBilled: false)
            #expect(await gate.reserve(charge("b", 0.03)) == .granted, "0.03 spent is still under 0.05")
            guard case .exceeded(let message) = await gate.reserve(charge("c", 0.03)) else {
                Issue.record("a third charge past the budget was let through")
                return
            }
            #expect(message.contains("daily budget of $0.05"))
            // A request that brought no image gives its charge back: the sum nets it out.
            await gate.release(charge("b", 0.03))
            #expect(abs(await ledger.spentToday(now: noon) - 0.03) < 1e-9)
            #expect(await gate.reserve(charge("d", 0.01)) == .granted)
        }
    }

    @Test func withoutABudgetChargesAreRecordedAndNeverRefused() async throws {
        await withTemporaryDirectory { dir in
            let ledger = CostLedger(path: dir + "/ledger.jsonl")
            let gate = local(ledger, daily: nil)
            #expect(await gate.spentTodayIfDeciding() == nil, "no early look without a budget")
            for n in 1...3 { #expect(await gate.reserve(charge("\(n)", 100)) == .granted) }
            #expect(await ledger.spentToday(now: noon) == 300)
            let held = await gate.reserveBatch([charge("x", 1), charge("y", 1)], coordinatorWait: 0)
            #expect(held == BatchReservation(granted: 2, refusal: nil))
        }
    }

    /// A charge that cannot be written is refused, so the request is never sent unrecorded.
    @Test func aChargeThatCannotBeWrittenIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            try writeFile(dir + "/not-a-folder", "a file where the ledger's folder should be")
            let gate = local(CostLedger(path: dir + "/not-a-folder/ledger.jsonl"), daily: nil)
            guard case .unrecorded(let message) = await gate.reserve(charge("a", 0.03)) else {
                Issue.record("a charge with no ledger line was let through")
                return
            }
            #expect(message.contains("not-a-folder/ledger.jsonl") && message.contains("no paid request was sent"))
        }
    }

    @Test func aBatchGetsAsManyScenesAsTheBudgetPaysFor() async throws {
        await withTemporaryDirectory { dir in
            let ledger = CostLedger(path: dir + "/ledger.jsonl")
            await ledger.record(charge("before", 0.01))
            let gate = local(ledger, daily: 0.05)
            let held = await gate.reserveBatch((1...5).map { charge("b\($0)", 0.0168, scene: $0) }, coordinatorWait: 0)
            #expect(held.granted == 2, "0.04 left pays for two at 0.0168")
            guard case .exceeded(let message) = held.refusal else {
                Issue.record("no refusal for the other three")
                return
            }
            #expect(message.contains("--daily-budget-usd 0.05"))
            #expect(await ledger.spentToday(now: noon) == 0.01, "a batch hold writes no line")
            await gate.chargeBatch(charge("b1", 0.0168))
            #expect(abs(await ledger.spentToday(now: noon) - 0.0268) < 1e-9)
        }
    }

    @Test func theCoordinatedBudgetReservesThenWritesAndGivesBack() async throws {
        await withTemporaryDirectory { dir in
            let ledger = CostLedger(path: dir + "/ledger.jsonl")
            let coordinator = TableCoordinator()
            let gate = CoordinatedBudget(
                coordinator: coordinator,
                ledger: ledger,
                dailyUSD: 0.05,
                logger: Logger(label: "t")
            )
            #expect(await gate.spentTodayIfDeciding() == nil, "the coordinator decides, exactly")
            #expect(await gate.reserve(charge("a", 0.03)) == .granted)
            #expect(coordinator.reserved == ["a": 0.03])
            #expect(await ledger.spentToday(now: noon) == 0.03)
            guard case .exceeded(let message) = await gate.reserve(charge("b", 0.03)) else {
                Issue.record("a reservation past the budget was granted")
                return
            }
            #expect(message.contains("across all instances ($0.03)"))
            #expect(await ledger.spentToday(now: noon) == 0.03, "a refused charge writes no line")
            await gate.release(charge("a", 0.03))
            #expect(coordinator.reserved.isEmpty)
            #expect(await ledger.spentToday(now: noon) == 0)
            #expect(await gate.reserve(charge("c", 0.02)) == .granted)
            await gate.settle(charge("c", 0.02), costUSD: 0.02, possiblyBilled: false)
            #expect(coordinator.settled == ["c"])
            coordinator.reachable.store(false, ordering: .relaxed)
            guard case .unavailable = await gate.reserve(charge("d", 0.01)) else {
                Issue.record("an unreachable coordinator let a charge through")
                return
            }
            let batch = await gate.reserveBatch([charge("e", 0.01)], coordinatorWait: 0)
            #expect(batch.granted == 0)
            guard case .unavailable(let why) = batch.refusal else {
                Issue.record("no refusal for a batch with the coordinator down")
                return
            }
            #expect(why.contains("a budget cannot be kept without it"))
        }
    }

    /// With the coordinator, a timed-out request's charge is settled, not released: the coordinator counts it
    /// against every host's budget, at its price, and the ledger marks it `possibly_billed`.
    @Test func aPossiblyBilledChargeStaysReservedAtTheCoordinator() async throws {
        await withTemporaryDirectory { dir in
            let ledger = CostLedger(path: dir + "/ledger.jsonl")
            let coordinator = TableCoordinator()
            let gate = CoordinatedBudget(
                coordinator: coordinator,
                ledger: ledger,
                dailyUSD: 0.05,
                logger: Logger(label: "t")
            )
            #expect(await gate.reserve(charge("slow", 0.03)) == .granted)
            await gate.settle(charge("slow", 0.03), costUSD: 0.03, possiblyBilled: true)
            #expect(
                coordinator.settled == ["slow"] && coordinator.reserved == ["slow": 0.03],
                "counted, not given back"
            )
            guard case .exceeded = await gate.reserve(charge("next", 0.03)) else {
                Issue.record("the possibly billed charge did not count at the coordinator")
                return
            }
            let lines = (readText(dir + "/ledger.jsonl") ?? "").split(separator: "\n")
            #expect(lines.count == 2 && lines[1].contains("\"possibly_billed\":true"))
        }
    }

    /// With the coordinator, a charge whose ledger line cannot be written gives its reservation back.
    @Test func aCoordinatedChargeThatCannotBeWrittenReleasesItsReservation() async throws {
        try await withTemporaryDirectory { dir in
            try writeFile(dir + "/not-a-folder", "")
            let coordinator = TableCoordinator()
            let gate = CoordinatedBudget(
                coordinator: coordinator,
                ledger: CostLedger(path: dir + "/not-a-folder/ledger.jsonl"),
                dailyUSD: 1,
                logger: Logger(label: "t")
            )
            guard case .unrecorded = await gate.reserve(charge("a", 0.03)) else {
                Issue.record("a charge with no ledger line was let through")
                return
            }
            #expect(coordinator.reserved.isEmpty)
        }
    }
}

/// The coordinator's reservation table in memory: the gate's logic, without PostgreSQL (the real one is
/// in FarmTests' `PostgresCoordinatorTests` and `CoordinatorTests`).
final class TableCoordinator: SpendCoordinator {
    let table = Mutex<(reserved: [String: Double], settled: [String])>(([:], []))
    let reachable = Atomic<Bool>(true)

    var reserved: [String: Double] { table.withLock { $0.reserved } }
    var settled: [String] { table.withLock { $0.settled } }

    func reserve(_ entry: CostLedger.Entry, budget: Double) async -> SpendReservation {
        guard reachable.load(ordering: .relaxed) else { return .unavailable("connection refused") }
        return table.withLock { table in
            let committed = table.reserved.values.reduce(0, +)
            guard committed + entry.costUSD <= budget + 1e-9 else { return .exceeded(committedUSD: committed) }
            table.reserved[entry.id ?? ""] = entry.costUSD
            return .granted
        }
    }

    func settle(_ entry: CostLedger.Entry) async {
        table.withLock { $0.settled.append(entry.id ?? "") }
    }

    func release(_ id: String) async {
        _ = table.withLock { $0.reserved.removeValue(forKey: id) }
    }

    func waitUntilAvailable(seconds: Double) async -> Bool { reachable.load(ordering: .relaxed) }
}

/// Settling at what the answer reported it used, and a timed-out request that may have been billed.
@Suite struct SettlementTests {
    let noon = 1_795_060_800.0  // 2026-11-19T12:00:00Z

    func charge(_ id: String, _ cost: Double) -> CostLedger.Entry {
        .init(id: id, time: WallClock.rfc3339(noon), model: "m", imageSize: "1K", costUSD: cost, session: "s", scene: 1)
    }

    @Test func aSettlementAtAnotherCostCorrectsTheChargeInOneLine() async throws {
        await withTemporaryDirectory { dir in
            let ledger = CostLedger(directory: dir + "/ledger", instance: "a")
            let noon = noon
            let gate = LedgerBudget(ledger: ledger, dailyUSD: 1, logger: Logger(label: "t"), now: { noon })
            #expect(await gate.reserve(charge("x", 0.134)) == .granted)
            await gate.settle(charge("x", 0.134), costUSD: 0.143, possiblyBilled: false)
            #expect(abs(await ledger.spentToday(now: noon) - 0.143) < 1e-12, "the day's sum is what was used")
            #expect(await gate.reserve(charge("y", 0.05)) == .granted)
            await gate.settle(charge("y", 0.05), costUSD: 0.05, possiblyBilled: false)
            // The coordinator's reconciliation sees one charge per id, at its settled cost.
            let charges = CostLedger.entries(in: dir + "/ledger", days: [CostLedger.day(at: noon)])
            #expect(charges.count == 2)
            #expect(abs((charges.first { $0.entry.id == "x" }?.entry.costUSD ?? 0) - 0.143) < 1e-12)
            let lines = (readText(dir + "/ledger/a.jsonl") ?? "").split(separator: "\n")
            #expect(lines.count == 3, "a correction only where the cost changed: \(lines)")
        }
    }

    @Test func aTimedOutRequestStaysChargedAndMarkedPossiblyBilled() async throws {
        await withTemporaryDirectory { dir in
            let ledger = CostLedger(path: dir + "/ledger.jsonl")
            let noon = noon
            let gate = LedgerBudget(ledger: ledger, dailyUSD: 0.2, logger: Logger(label: "t"), now: { noon })
            #expect(await gate.reserve(charge("slow", 0.134)) == .granted)
            await gate.settle(charge("slow", 0.134), costUSD: 0.134, possiblyBilled: true)
            #expect(await ledger.spentToday(now: noon) == 0.134, "the budget counts it")
            let lines = (readText(dir + "/ledger.jsonl") ?? "").split(separator: "\n").map(String.init)
            #expect(
                lines.count == 2 && lines[1].contains("\"possibly_billed\":true")
                    && lines[1].contains("\"id\":\"slow\"")
            )
            #expect(await gate.reserve(charge("next", 0.134)) == .granted, "0.134 spent is under 0.2")
            guard case .exceeded = await gate.reserve(charge("over", 0.134)) else {
                Issue.record("the possibly billed charge was not counted")
                return
            }
        }
    }
}
