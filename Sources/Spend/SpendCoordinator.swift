/// Keeps the daily budget exact across hosts (the PostgreSQL coordinator, `--coordinator`): a paid
/// request first reserves its price, then settles the actual cost or releases the reservation.
/// Without one, the budget is checked against the ledger files, off by the requests in flight.
package protocol SpendCoordinator: Sendable {
    /// Reserves `entry.costUSD` under `entry.id` for `entry`'s UTC day, unless today's reserved and
    /// spent amounts plus this one would pass `budget`.
    func reserve(_ entry: CostLedger.Entry, budget: Double) async -> SpendReservation
    /// Records what an image cost: settles the reservation `entry.id`, or records the charge when there
    /// was none (no budget). Never waits for the database: a write it cannot make now is kept and made
    /// when the database answers again.
    func settle(_ entry: CostLedger.Entry) async
    /// Gives a reservation back (the request made no image, or was never sent).
    func release(_ id: String) async
    /// Waits until the coordinator answers, at most `seconds`; true when it does.
    func waitUntilAvailable(seconds: Double) async -> Bool
}

/// What a reservation came to.
package enum SpendReservation: Sendable, Equatable {
    case granted
    /// Today's reserved and spent amounts leave no room for the price.
    case exceeded(committedUSD: Double)
    /// The coordinator cannot be reached: the budget cannot be enforced.
    case unavailable(String)
}
