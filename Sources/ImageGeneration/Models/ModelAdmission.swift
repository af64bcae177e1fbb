import SystemSupport

/// What one Gemini request may do now, decided in one step from everything the daemon has learnt:
/// a disabled provider, retired models, the key/endpoint probe gate, the daily budget, 429
/// cool-downs and the `--rpm` buckets. Pure: times and today's spend are passed in, so every rule
/// is tested with plain numbers.
///
/// The probe gate: until one answer shows the key is accepted and the endpoint reachable, one request
/// at a time goes out (a bad key is then sent once, and a missing network discovered once, not once
/// per scene in flight). After the endpoint could not be reached, scenes fall back at once until
/// `reprobeAfter` has passed; then one of them probes again while the others wait.
package struct ModelAdmission: Sendable {
    package enum Decision: Sendable, Equatable {
        /// Send now.
        case send
        /// This caller sends one quick request (models.get) that proves key and endpoint for everyone.
        case probe
        /// Another caller is probing: ask again when it reports.
        case awaitProbe
        /// A cool-down or the rate bucket: ask again at `until` (monotonic). `holdsTurn`: a rate turn
        /// is reserved for this caller; pass it back so it is not taken twice.
        case wait(until: Double, holdsTurn: Bool)
        /// No request: fall back with this reason. `stopHere`: no other model of this provider helps
        /// (a disabled provider, an unreachable endpoint, the budget).
        case fallBack(FallbackReason, message: String, stopHere: Bool)
    }

    package struct Ask: Sendable {
        package var model: String
        /// A rate turn this caller already holds (from an earlier `.wait`).
        package var holdsTurn = false
        /// Today's spend and the daily budget, when there is a budget.
        package var spentToday: Double?
        package var dailyBudget: Double?

        package init(model: String, holdsTurn: Bool = false, spentToday: Double? = nil, dailyBudget: Double? = nil) {
            self.model = model
            self.holdsTurn = holdsTurn
            self.spentToday = spentToday
            self.dailyBudget = dailyBudget
        }
    }

    package enum GateChange: Sendable, Equatable { case none, wentDown, cameBack }

    enum Gate: Sendable, Equatable {
        case unproven, probing, open
        case unreachable(until: Double, message: String)
    }

    package private(set) var health = ModelHealth()
    private var buckets: [String: TokenBucket] = [:]
    private let requestsPerMinute: Double?
    package let reprobeAfter: Double
    private(set) var gate = Gate.unproven
    /// The API's own words for a retirement or a disabled key, when an answer gave them.
    private var because: [String: String] = [:]
    private var disabledBecause: String?
    /// The outage last reported, so it is reported once and its end once.
    private var lastChange = GateChange.none
    private var reportedDisabled = false

    package init(requestsPerMinute: Double?, reprobeAfter: Double = 30) {
        self.requestsPerMinute = requestsPerMinute
        self.reprobeAfter = reprobeAfter
    }

    /// - Parameters:
    ///   - now: monotonic seconds (cool-downs, buckets, the gate).
    ///   - wallNow: seconds since the epoch (retirements until a daily quota resets).
    package mutating func decide(_ ask: Ask, now: Double, wallNow: Double) -> Decision {
        if let disabled = health.providerDisabled {
            return .fallBack(
                disabled,
                message: disabledBecause ?? "gemini is disabled for this run (\(disabled.rawValue))",
                stopHere: true
            )
        }
        if case .retired(let reason) = health.availability(of: ask.model, wallNow: wallNow) {
            let message =
                because[ask.model] ?? "\(ask.model) is not used again in this run or today (\(reason.rawValue))"
            return .fallBack(reason, message: message, stopHere: false)
        }
        switch gate {
        case .unproven:
            gate = .probing
            return .probe
        case .probing:
            return .awaitProbe
        case .unreachable(let until, let message):
            // Another scene just found the endpoint unreachable: no request of ours would fare better.
            if now < until { return .fallBack(.networkError, message: message, stopHere: true) }
            gate = .probing
            return .probe
        case .open:
            break
        }
        if let budget = ask.dailyBudget, let spent = ask.spentToday, spent >= budget {
            return .fallBack(
                .budgetExceeded,
                message:
                    "today's spend reached the daily budget of $\(budget); paid providers wait for the next UTC day",
                stopHere: true
            )
        }
        var holdsTurn = ask.holdsTurn
        var until = now
        if !holdsTurn, let rpm = requestsPerMinute {
            // One cool-down and one bucket: the turn is taken at the time the cool-down ends.
            var bucket = buckets[ask.model] ?? TokenBucket(perMinute: rpm, now: now)
            until = max(until, until + bucket.take(now: until))
            buckets[ask.model] = bucket
            holdsTurn = true
        }
        return until > now ? .wait(until: until, holdsTurn: holdsTurn) : .send
    }

    /// What a probe's answer says. A refused key disables the provider; a 404 retires the model (the
    /// key is good, the model missing); an unreachable endpoint closes the gate for `reprobeAfter`;
    /// any other HTTP answer proves both; any other transport failure proves nothing but must not
    /// stall everyone, so work goes on.
    /// `newlyDisabled` is true the first time the provider is disabled (log it once).
    package mutating func probeVerdict(
        _ answer: APIAnswer,
        model: String,
        message: String?,
        now: Double,
        wallNow: Double
    ) -> (change: GateChange, newlyDisabled: Bool) {
        switch answer {
        case .failure(.http(400, _, _, _, "API_KEY_INVALID")), .failure(.http(401, _, _, _, _)),
            .failure(.http(403, _, _, _, _)):
            disabledBecause = disabledBecause ?? message
            health.apply(.providerForRun, reason: .invalidAPIKey, model: model, now: wallNow)
        case .failure(.http(404, _, _, _, _)):
            // Every scene waiting on the probe would otherwise send this model a request only to be told the same.
            because[model] = message
            health.apply(.modelForRun, reason: .modelNotFound, model: model, now: wallNow)
        case .failure(.unreachable(let message)):
            return (markUnreachable(message, now: now), false)
        default:
            break
        }
        return (open(), newlyDisabled())
    }

    /// The endpoint could not be reached (after a request's retries). Returns `.wentDown` the first
    /// time, so the outage is logged once.
    package mutating func markUnreachable(_ message: String, now: Double) -> GateChange {
        gate = .unreachable(until: now + reprobeAfter, message: message)
        // Other scenes' failures in the same outage, and re-probes that find it still down, are not news.
        if lastChange == .wentDown { return .none }
        lastChange = .wentDown
        return .wentDown
    }

    private mutating func open() -> GateChange {
        gate = .open
        if lastChange == .wentDown {
            lastChange = .cameBack
            return .cameBack
        }
        return .none
    }

    /// Records a final failure of `scope` (an unreachable endpoint goes to `markUnreachable`); returns
    /// true the first time the provider is disabled (log it once).
    package mutating func apply(
        _ scope: RetryPolicy.Scope,
        reason: FallbackReason,
        model: String,
        message: String,
        wallNow: Double
    ) -> Bool {
        if scope == .providerForRun { disabledBecause = disabledBecause ?? message }
        health.apply(scope, reason: reason, model: model, now: wallNow)
        return newlyDisabled()
    }

    private mutating func newlyDisabled() -> Bool {
        guard health.providerDisabled != nil, !reportedDisabled else { return false }
        reportedDisabled = true
        return true
    }

    /// The prober was cancelled before a verdict: the next caller probes instead.
    package mutating func abandonProbe() {
        if gate == .probing { gate = .unproven }
    }

    /// What limits requests now, in plain words: a refused key, an unreachable endpoint, each retired
    /// model and when it returns. (Per-minute quotas are `QuotaSchedule.describe`.)
    package func conditions(now: Double, wallNow: Double) -> [String] {
        var lines: [String] = []
        if let disabled = health.providerDisabled {
            lines.append("Gemini is off for this run: \(disabledBecause ?? disabled.rawValue)")
        }
        if case .unreachable(let until, let message) = gate, now < until {
            lines.append(
                "the Gemini API cannot be reached (\(message)); trying again in \(Int(saturating: (until - now).rounded(.up))) s"
            )
        }
        for retired in health.retirements(wallNow: wallNow) {
            if let until = retired.until {
                lines.append(
                    "\(retired.model) is retired until \(WallClock.rfc3339(until)) (\(retired.reason.rawValue))"
                )
            } else {
                lines.append(
                    "\(retired.model) is not used again in this run (\(retired.reason.rawValue)\(because[retired.model].map { ": " + $0 } ?? ""))"
                )
            }
        }
        return lines
    }

    /// Whether the probe gate is waiting for a verdict (callers asked to `.awaitProbe` wait for it).
    var isProbing: Bool { gate == .probing }
}
