/// What all sessions of the daemon share about the Gemini API: per-model rate buckets (`--rpm`) and
/// the model health (cool-downs after 429, retirements, a disabled provider). One actor, so a 429 seen
/// by one scene makes every other scene wait once instead of piling on.
public actor GeminiState {
    private var health = ModelHealth()
    private var buckets: [String: TokenBucket] = [:]
    private let requestsPerMinute: Double?
    private var reportedDisabled = false

    /// Until one answer shows the key is accepted, one request at a time goes out with it: a bad key
    /// is then sent once, not once per scene in flight.
    private enum KeyState { case unknown, probing, accepted }
    private var keyState = KeyState.unknown
    private var keyWaiters: [CheckedContinuation<Void, Never>] = []

    public init(requestsPerMinute: Double?) {
        self.requestsPerMinute = requestsPerMinute
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

    public enum KeyTurn: Sendable { case proceed, probe }

    /// Returns when this caller may send. While the key is unproven, the first caller is told to
    /// probe it (one quick request); the others wait for that verdict, then go ahead together.
    public func waitForKeyTurn() async -> KeyTurn {
        while true {
            switch keyState {
            case .accepted:
                return .proceed
            case .unknown:
                keyState = .probing
                return .probe
            case .probing:
                await withCheckedContinuation { keyWaiters.append($0) }
            }
        }
    }

    /// What an answer says about the key. A refused key disables the provider; any other HTTP answer
    /// proves it; a transport failure proves nothing but must not stall everyone, so work goes on.
    public func keyVerdict(_ answer: GeminiAnswer, model: String, now: Double) {
        switch answer {
        case .failure(.http(400, _, _, _, "API_KEY_INVALID")), .failure(.http(401, _, _, _, _)), .failure(.http(403, _, _, _, _)):
            health.apply(.providerForRun, reason: .invalidAPIKey, model: model, now: now)
        case .failure(.http(404, _, _, _, _)):
            // The key is good (the API looked the model up) but the model does not exist: every scene
            // waiting on the probe would otherwise send it a request only to be told the same.
            health.apply(.modelForRun, reason: .modelNotFound, model: model, now: now)
        default:
            break
        }
        keyState = .accepted
        let waiters = keyWaiters
        keyWaiters.removeAll()
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
