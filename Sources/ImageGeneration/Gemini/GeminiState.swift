/// What all sessions of the daemon share about the Gemini API: per-model rate buckets (`--rpm`) and
/// the model health (cool-downs after 429, retirements, a disabled provider). One actor, so a 429 seen
/// by one scene makes every other scene wait once instead of piling on.
public actor GeminiState {
    private var health = ModelHealth()
    private var buckets: [String: TokenBucket] = [:]
    private let requestsPerMinute: Double?
    private var reportedDisabled = false

    /// Until one answer shows the key is accepted and the endpoint reachable, one request at a time
    /// goes out: a bad key is then sent once, and a missing network discovered once, not once per
    /// scene in flight. After the endpoint could not be reached, scenes fall back at once until
    /// `reprobeAfter` has passed; then one of them probes again while the others wait.
    private enum Gate { case unproven, probing, open, unreachable(until: Double, message: String) }
    private var gate = Gate.unproven
    private var gateWaiters: [CheckedContinuation<Void, Never>] = []
    public nonisolated let reprobeAfter: Double

    /// - Parameter reprobeAfter: seconds after an unreachable endpoint before a scene tries it again.
    public init(requestsPerMinute: Double?, reprobeAfter: Double = 30) {
        self.requestsPerMinute = requestsPerMinute
        self.reprobeAfter = reprobeAfter
    }

    public func availability(of model: String, now: Double) -> ModelHealth.Availability {
        health.availability(of: model, now: now)
    }

    public var disabled: FallbackReason? { health.providerDisabled }

    /// Seconds to wait before sending a request to `model` now: the later of its cool-down and its
    /// rate bucket. Taking the turn reserves it.
    public func reserveTurn(for model: String, now: Double) -> Double {
        var wait = 0.0
        if case .coolingDown(let until) = health.availability(of: model, now: now) { wait = until - now }
        if let rpm = requestsPerMinute {
            var bucket = buckets[model] ?? TokenBucket(perMinute: rpm, now: now)
            wait = max(wait, bucket.take(now: now + wait))
            buckets[model] = bucket
        }
        return wait
    }

    public enum Turn: Sendable, Equatable {
        case proceed
        /// This caller sends one quick request (models.get) that proves key and endpoint for everyone.
        case probe
        /// The endpoint could not be reached a moment ago: fall back now, with this cause.
        case unreachable(String)
    }

    /// Returns when this caller may send. While key and endpoint are unproven, the first caller is
    /// told to probe; the others wait for that verdict, then go ahead together (or fall back).
    public func waitForTurn(now: @Sendable () -> Double) async -> Turn {
        while true {
            switch gate {
            case .open:
                return .proceed
            case .unproven:
                gate = .probing
                return .probe
            case .unreachable(let until, let message):
                if now() < until { return .unreachable(message) }
                gate = .probing
                return .probe
            case .probing:
                await withCheckedContinuation { gateWaiters.append($0) }
            }
        }
    }

    public enum GateChange: Sendable, Equatable { case none, wentDown, cameBack }

    /// What a probe's answer says. A refused key disables the provider; an unreachable endpoint
    /// closes the gate for `reprobeAfter`; any other HTTP answer proves both; any other transport
    /// failure proves nothing but must not stall everyone, so work goes on.
    @discardableResult
    public func probeVerdict(_ answer: GeminiAnswer, model: String, now: Double) -> GateChange {
        switch answer {
        case .failure(.http(400, _, _, _, "API_KEY_INVALID")), .failure(.http(401, _, _, _, _)), .failure(.http(403, _, _, _, _)):
            health.apply(.providerForRun, reason: .invalidAPIKey, model: model, now: now)
        case .failure(.http(404, _, _, _, _)):
            // The key is good (the API looked the model up) but the model does not exist: every scene
            // waiting on the probe would otherwise send it a request only to be told the same.
            health.apply(.modelForRun, reason: .modelNotFound, model: model, now: now)
        case .failure(.unreachable(let message)):
            return markUnreachable(message, now: now)
        default:
            break
        }
        return open()
    }

    /// The endpoint could not be reached (after a request's retries): scenes fall back at once until
    /// `reprobeAfter` has passed. Returns `.wentDown` the first time, so the outage is logged once.
    @discardableResult
    public func markUnreachable(_ message: String, now: Double) -> GateChange {
        gate = .unreachable(until: now + reprobeAfter, message: message)
        wake()
        // Other scenes' failures in the same outage, and re-probes that find it still down, are not news.
        if lastChange == .wentDown { return .none }
        lastChange = .wentDown
        return .wentDown
    }

    /// The outage last reported, so it is reported once and its end once.
    private var lastChange = GateChange.none

    private func open() -> GateChange {
        gate = .open
        wake()
        if lastChange == .wentDown {
            lastChange = .cameBack
            return .cameBack
        }
        return .none
    }

    private func wake() {
        let waiters = gateWaiters
        gateWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    public func coolDown(_ model: String, until: Double) {
        health.coolDown(model, until: until)
    }

    /// Records a final failure; returns true the first time the provider is disabled (log it once).
    public func apply(_ scope: RetryPolicy.Scope, reason: FallbackReason, model: String, now: Double) -> Bool {
        health.apply(scope, reason: reason, model: model, now: now)
        if scope == .providerForRun, !reportedDisabled {
            reportedDisabled = true
            return true
        }
        return false
    }
}
