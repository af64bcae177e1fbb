/// The daily budget as one gate. A paid request asks `reserve` once, right before it is sent, and
/// the answer decides: an image `settle`s the charge, anything else `release`s it. Every vendor and
/// both ways of keeping the budget (the ledger files alone, or the PostgreSQL coordinator for an
/// exact budget across hosts) go through this one protocol, so the budget is decided in one place.
///
/// A granted interactive charge is already in the cost ledger when `reserve` returns: a request
/// whose charge cannot be recorded is never sent (a full state disk once let 18 paid answers
/// through with no ledger line). Batch charges are held without a line, since their images come
/// back hours later, and are written when they do (`chargeBatch`).
package protocol BudgetGate: Sendable {
    /// The daily budget in USD (`--daily-budget-usd`); nil: none, charges are only recorded.
    var dailyUSD: Double? { get }

    /// Today's spend when the ledger files alone decide: an early look, before a scene waits for its
    /// turn, so a spent budget ends it at once. Nil when there is no budget, or when the coordinator
    /// decides (reading every ledger file there would only add a folder listing per request).
    func spentTodayIfDeciding() async -> Double?

    /// Holds `charge.costUSD` for a request about to be sent, and writes its ledger line.
    func reserve(_ charge: CostLedger.Entry) async -> BudgetDecision
    /// The request brought an image (or may have been billed: it timed out, and the API does not stop work
    /// a client gave up on): its charge stands at `costUSD`, what the answer reported it used, which may
    /// differ from the price `reserve` held. A `possiblyBilled` charge is marked so in the ledger.
    func settle(_ charge: CostLedger.Entry, costUSD: Double, possiblyBilled: Bool) async
    /// The request brought no image: its charge is taken back.
    func release(_ charge: CostLedger.Entry) async

    /// Holds a batch's charges in order, as many as the budget allows, without ledger lines. Waits
    /// up to `coordinatorWait` seconds for a coordinator that cannot be reached.
    func reserveBatch(_ charges: [CostLedger.Entry], coordinatorWait: Double) async -> BatchReservation
    /// A batch image came back: its charge is written to the ledger and settled.
    func chargeBatch(_ charge: CostLedger.Entry) async
    /// Batch charges whose image did not come: their holds are given back.
    func releaseBatch(ids: [String]) async

    /// Waits until whatever keeps the budget answers again, at most `seconds`; true when it does.
    func waitUntilAvailable(seconds: Double) async -> Bool
}

extension BudgetGate {
    /// Why a batch scene is refused: the budget cannot pay for it even at the batch price.
    package static func batchRefusal(dailyUSD: Double) -> String {
        "the daily budget (--daily-budget-usd \(dailyUSD)) cannot pay for this scene, even at the batch price"
    }
}

/// What the gate said about one charge.
package enum BudgetDecision: Sendable, Equatable {
    /// The request may go; settle or release the charge once it is answered.
    case granted
    /// Today's spend (and, with the coordinator, every host's reservations) leaves no room.
    case exceeded(String)
    /// The coordinator that keeps the budget cannot be reached: nothing was held or written.
    case unavailable(String)
    /// The charge could not be written to the cost ledger (a full or read-only state disk).
    case unrecorded(String)
}

/// How many of a batch's charges the gate holds (the first `granted`, in order), and why it
/// stopped there when it did.
package struct BatchReservation: Sendable, Equatable {
    package var granted: Int
    package var refusal: BudgetDecision?

    package init(granted: Int, refusal: BudgetDecision?) {
        self.granted = granted
        self.refusal = refusal
    }
}
