/// What the daemon has learnt about each model during the run: models retired for the run or until
/// their daily quota resets, and a provider disabled after a bad key. Pure: wall times are passed in
/// (a day is a wall-clock thing). Per-minute quotas are `QuotaSchedule`'s.
package struct ModelHealth: Sendable, Equatable {
    package enum Availability: Sendable, Equatable {
        case available
        case retired(FallbackReason)
    }

    struct Retirement: Sendable, Equatable {
        /// `nil`: for the rest of the run.
        var until: Double?
        var reason: FallbackReason
    }

    private var retired: [String: Retirement] = [:]
    package private(set) var providerDisabled: FallbackReason?

    package init() {}

    /// - Parameter wallNow: seconds since the epoch.
    package func availability(of model: String, wallNow: Double) -> Availability {
        if let entry = retired[model], entry.until.map({ wallNow < $0 }) ?? true { return .retired(entry.reason) }
        return .available
    }

    /// Every retired model, by name: why, and until when (seconds since the epoch; nil: the rest of the run).
    package func retirements(wallNow: Double) -> [(model: String, reason: FallbackReason, until: Double?)] {
        retired.filter { $0.value.until.map { wallNow < $0 } ?? true }
            .map { ($0.key, $0.value.reason, $0.value.until) }
            .sorted { $0.model < $1.model }
    }

    /// - Parameter now: seconds since the epoch (a per-day quota lasts until the next Pacific midnight).
    package mutating func apply(_ scope: RetryPolicy.Scope, reason: FallbackReason, model: String, now: Double) {
        switch scope {
        case .request, .endpoint: break
        case .modelForRun: retired[model] = Retirement(until: nil, reason: reason)
        case .modelUntilDailyReset:
            retired[model] = Retirement(until: PacificTime.nextMidnight(after: now), reason: reason)
        case .providerForRun: providerDisabled = providerDisabled ?? reason
        }
    }
}
