import Logging
import SystemSupport

/// The budget kept by the cost ledger files alone (no `--coordinator`). Across hosts it is off by at
/// most the paid requests in flight, since each host reads the others' files as they grow.
package struct LedgerBudget: BudgetGate {
    package let ledger: CostLedger
    package let dailyUSD: Double?
    let notice: LedgerNotice
    /// Wall time in seconds since the epoch: the UTC day a charge counts for.
    let now: @Sendable () -> Double

    package init(ledger: CostLedger, dailyUSD: Double?, logger: Logger, now: @escaping @Sendable () -> Double) {
        self.ledger = ledger
        self.dailyUSD = dailyUSD
        self.notice = LedgerNotice(logger: logger, dailyUSD: dailyUSD)
        self.now = now
    }

    package func spentTodayIfDeciding() async -> Double? {
        dailyUSD == nil ? nil : await ledger.spentToday(now: now())
    }

    package func reserve(_ charge: CostLedger.Entry) async -> BudgetDecision {
        // Looked at again right before the request, not only when the scene was admitted: scenes that
        // passed while others were paying must not all go out.
        if let dailyUSD, await ledger.spentToday(now: now()) >= dailyUSD {
            return .exceeded(
                "today's spend reached the daily budget of $\(dailyUSD) while this scene waited for a request slot"
            )
        }
        return await notice.append(charge, to: ledger)
    }

    package func settle(_ charge: CostLedger.Entry, costUSD: Double, possiblyBilled: Bool) async {
        await ledger.adjust(charge, to: costUSD, possiblyBilled: possiblyBilled)
    }

    package func release(_ charge: CostLedger.Entry) async {
        await ledger.refund(charge)
    }

    package func reserveBatch(_ charges: [CostLedger.Entry], coordinatorWait: Double) async -> BatchReservation {
        guard let dailyUSD, let price = charges.first?.costUSD, price > 0 else {
            return BatchReservation(granted: charges.count, refusal: nil)
        }
        let spent = await ledger.spentToday(now: now())
        // Saturating: a huge budget or a ledger summing to infinity must not trap.
        let affordable = ((dailyUSD - spent) / price + 1e-9).rounded(.down)
        let granted = max(0, Int(saturating: min(affordable, Double(charges.count))))
        return BatchReservation(
            granted: granted,
            refusal: granted < charges.count ? .exceeded(Self.batchRefusal(dailyUSD: dailyUSD)) : nil
        )
    }

    package func chargeBatch(_ charge: CostLedger.Entry) async {
        await ledger.record(charge)
    }

    package func releaseBatch(ids: [String]) async {}

    package func waitUntilAvailable(seconds: Double) async -> Bool { true }
}

/// Writes a charge's line and says, once per change, when the ledger stops or starts taking lines.
struct LedgerNotice: Sendable {
    let logger: Logger
    let dailyUSD: Double?

    func append(_ charge: CostLedger.Entry, to ledger: CostLedger) async -> BudgetDecision {
        let appended = await ledger.append(charge)
        guard appended.written else {
            if appended.changed {
                logger.error(
                    "paid requests stopped: the cost ledger cannot be written",
                    metadata: [
                        "scenedrop.ledger": "\(ledger.path)",
                        "scenedrop.budget": "\(dailyUSD.map { String($0) } ?? "none")",
                    ]
                )
            }
            return .unrecorded(
                "the cost ledger \(ledger.path) cannot be written (a full or read-only disk?), so no paid request was sent"
            )
        }
        if appended.changed {
            logger.notice(
                "cost ledger writable again; paid requests resume",
                metadata: ["scenedrop.ledger": "\(ledger.path)"]
            )
        }
        return .granted
    }
}
