/// `--rpm` for one model, shared by every session: a token bucket refilled continuously. Pure: the
/// caller passes the time. Tokens may go negative, which queues callers fairly in arrival order.
package struct TokenBucket: Sendable, Equatable {
    package let ratePerSecond: Double
    package let capacity: Double
    private var tokens: Double
    private var updated: Double

    /// - Parameters:
    ///   - perMinute: requests per minute.
    ///   - burst: how many requests may go at once after a quiet spell (at least 1).
    package init(perMinute: Double, burst: Double = 1, now: Double) {
        ratePerSecond = perMinute / 60
        capacity = max(1, burst)
        tokens = capacity
        updated = now
    }

    /// Takes one token and returns how long to wait before using it (0: go now).
    package mutating func take(now: Double) -> Double {
        tokens = min(capacity, tokens + max(0, now - updated) * ratePerSecond)
        updated = max(updated, now)
        tokens -= 1
        return tokens >= 0 ? 0 : -tokens / ratePerSecond
    }
}
