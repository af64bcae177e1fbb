import Synchronization

/// A per-minute quota as the Gemini API applies it, with a window of any length: at most `limit`
/// requests per model per window, windows starting at multiples of `window` from the quota's start;
/// a request over it gets the real 429 body, whose `RetryInfo` says when the window ends.
package final class WindowQuota: Sendable {
    package let limit: Int
    package let window: Duration
    private let start = ContinuousClock.now
    private let used = Mutex<[String: (window: Int, count: Int)]>([:])
    private let refused = Mutex<[String: Int]>([:])

    package init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// nil when the request is within the quota (and counted); otherwise the 429 to send.
    package func take(_ model: String) -> FakeResponse? {
        let elapsed = ContinuousClock.now - start
        let index = Int(elapsed / window)
        let allowed = used.withLock { used -> Bool in
            var entry = used[model] ?? (index, 0)
            if entry.window != index { entry = (index, 0) }
            defer { used[model] = entry }
            guard entry.count < limit else { return false }
            entry.count += 1
            return true
        }
        if allowed { return nil }
        refused.withLock { $0[model, default: 0] += 1 }
        let remaining = window * (index + 1) - elapsed
        let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) / 1e18
        return GeminiEmulator.rateLimited(retryDelay: "\(Double(Int(seconds * 1000)) / 1000)s")
    }

    /// 429s sent to `model` so far.
    package func refusals(_ model: String) -> Int { refused.withLock { $0[model] ?? 0 } }
    package var totalRefusals: Int { refused.withLock { $0.values.reduce(0, +) } }
}
