/// What the daemon has learnt about each model during the run: a 429 cool-down shared by all
/// sessions (one wait, not a thundering herd), models retired for the run or until the next UTC day,
/// and a provider disabled after a bad key. Pure: times are passed in. Cool-downs are on the monotonic
/// clock; a retirement until the next UTC day is on the wall clock (that is what the day is).
public struct ModelHealth: Sendable, Equatable {
    public enum Availability: Sendable, Equatable {
        case available
        /// Wait until then before the next request to this model.
        case coolingDown(until: Double)
        case retired(FallbackReason)
    }

    private var cooldown: [String: Double] = [:]
    struct Retirement: Sendable, Equatable {
        /// `nil`: for the rest of the run.
        var until: Double?
        var reason: FallbackReason
    }

    private var retired: [String: Retirement] = [:]
    public private(set) var providerDisabled: FallbackReason?

    public init() {}

    /// - Parameters:
    ///   - now: monotonic seconds, for cool-downs.
    ///   - wallNow: seconds since the epoch, for retirements until the next UTC day (default: `now`).
    public func availability(of model: String, now: Double, wallNow: Double? = nil) -> Availability {
        let wall = wallNow ?? now
        if let entry = retired[model], entry.until.map({ wall < $0 }) ?? true { return .retired(entry.reason) }
        if let until = cooldown[model], until > now { return .coolingDown(until: until) }
        return .available
    }

    public enum Condition: Sendable, Equatable {
        case coolingDown(until: Double)
        /// `until`: seconds since the epoch; `nil` for the rest of the run.
        case retired(FallbackReason, until: Double?)
    }

    /// Every model that is not simply available now, by name.
    public func conditions(now: Double, wallNow: Double) -> [(model: String, condition: Condition)] {
        var found: [(String, Condition)] = []
        for (model, entry) in retired where entry.until.map({ wallNow < $0 }) ?? true {
            found.append((model, .retired(entry.reason, until: entry.until)))
        }
        for (model, until) in cooldown where until > now && retired[model] == nil {
            found.append((model, .coolingDown(until: until)))
        }
        return found.sorted { $0.0 < $1.0 }
    }

    /// No request to `model` starts before `until` (keeps the later of two cool-downs).
    public mutating func coolDown(_ model: String, until: Double) {
        cooldown[model] = max(cooldown[model] ?? 0, until)
    }

    /// - Parameter now: seconds since the epoch (a per-day quota lasts until the next UTC midnight).
    public mutating func apply(_ scope: RetryPolicy.Scope, reason: FallbackReason, model: String, now: Double) {
        switch scope {
        case .request, .endpoint: break
        case .modelForRun: retired[model] = Retirement(until: nil, reason: reason)
        case .modelUntilNextUTCDay: retired[model] = Retirement(until: Self.nextUTCMidnight(after: now), reason: reason)
        case .providerForRun: providerDisabled = providerDisabled ?? reason
        }
    }

    /// The start of the next UTC day, in seconds since the epoch.
    public static func nextUTCMidnight(after now: Double) -> Double {
        ((now / 86_400).rounded(.down) + 1) * 86_400
    }
}
