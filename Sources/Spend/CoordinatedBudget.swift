import Logging

/// The budget kept exactly across hosts by the coordinator (`--coordinator`): each charge is reserved
/// there before its request, then settled or released. The ledger files still get every line, so
/// the spend is on record while the database is down, and reconciled when it is back.
package struct CoordinatedBudget: BudgetGate {
    package let coordinator: any SpendCoordinator
    package let ledger: CostLedger
    package let dailyUSD: Double?
    let notice: LedgerNotice

    package init(coordinator: any SpendCoordinator, ledger: CostLedger, dailyUSD: Double?, logger: Logger) {
        self.coordinator = coordinator
        self.ledger = ledger
        self.dailyUSD = dailyUSD
        self.notice = LedgerNotice(logger: logger, dailyUSD: dailyUSD)
    }

    package func spentTodayIfDeciding() async -> Double? { nil }

    package func reserve(_ charge: CostLedger.Entry) async -> BudgetDecision {
        if let dailyUSD {
            switch await hold(charge, budget: dailyUSD) {
            case .granted: break
            case let refusal: return refusal
            }
        }
        let written = await notice.append(charge, to: ledger)
        if written != .granted, let id = charge.id, dailyUSD != nil { await coordinator.release(id) }
        return written
    }

    private func hold(_ charge: CostLedger.Entry, budget: Double) async -> BudgetDecision {
        switch await coordinator.reserve(charge, budget: budget) {
        case .granted: return .granted
        case .exceeded(let committed):
            let shown = (committed * 10_000).rounded() / 10_000
            return .exceeded(
                "today's spend and reservations across all instances ($\(shown)) leave no room for this image within the daily budget of $\(budget)"
            )
        case .unavailable(let message): return .unavailable(message)
        }
    }

    package func settle(_ charge: CostLedger.Entry, costUSD: Double, possiblyBilled: Bool) async {
        await ledger.adjust(charge, to: costUSD, possiblyBilled: possiblyBilled)
        // Without a budget nothing was reserved: settling records the charge in the table.
        var settled = charge
        settled.costUSD = costUSD
        settled.possiblyBilled = possiblyBilled ? true : nil
        await coordinator.settle(settled)
    }

    package func release(_ charge: CostLedger.Entry) async {
        await ledger.refund(charge)
        if let id = charge.id, dailyUSD != nil { await coordinator.release(id) }
    }

    package func reserveBatch(_ charges: [CostLedger.Entry], coordinatorWait: Double) async -> BatchReservation {
        guard let dailyUSD else { return BatchReservation(granted: charges.count, refusal: nil) }
        for (index, charge) in charges.enumerated() where charge.costUSD > 0 {
            var verdict = await coordinator.reserve(charge, budget: dailyUSD)
            if case .unavailable = verdict, await coordinator.waitUntilAvailable(seconds: coordinatorWait) {
                verdict = await coordinator.reserve(charge, budget: dailyUSD)
            }
            switch verdict {
            case .granted: continue
            case .exceeded:
                return BatchReservation(
                    granted: index,
                    refusal: .exceeded(Self.batchRefusal(dailyUSD: dailyUSD))
                )
            case .unavailable(let message):
                return BatchReservation(
                    granted: index,
                    refusal: .unavailable("\(message); a budget cannot be kept without it")
                )
            }
        }
        return BatchReservation(granted: charges.count, refusal: nil)
    }

    package func chargeBatch(_ charge: CostLedger.Entry) async {
        await ledger.record(charge)
        await coordinator.settle(charge)
    }

    package func releaseBatch(ids: [String]) async {
        guard dailyUSD != nil else { return }
        for id in ids { await coordinator.release(id) }
    }

    package func waitUntilAvailable(seconds: Double) async -> Bool {
        await coordinator.waitUntilAvailable(seconds: seconds)
    }
}
