/// The one growth formula for every wait that lengthens after each failure: a request's retries, a
/// handed-back manifest's next try, a batch job's next poll. The `n`th wait is `initial × factorⁿ⁻¹`,
/// at most `maximum`, spread by ± `jitter` of itself so many waiters do not wake in lockstep. Pure:
/// the caller passes the random number, so tests are exact.
package struct Backoff: Sendable, Equatable {
    package var initial: Double
    package var maximum: Double
    package var factor: Double
    /// ± this fraction of the delay (0 for none).
    package var jitter: Double

    package init(initial: Double, maximum: Double, factor: Double = 2, jitter: Double = 0) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.factor = factor
        self.jitter = jitter
    }

    /// The wait after the `n`th failure in a row (1 for the first), with `random` in 0..<1.
    package func delay(after n: Int, random: Double = 0.5) -> Double {
        var (delay, step) = (initial, 1)
        // Stops at the cap, or when the delay no longer grows (0, a factor of 1): a few steps, whatever n is.
        while step < n, delay < maximum, delay * factor > delay {
            delay *= factor
            step += 1
        }
        return min(delay, maximum) * (1 + jitter * (2 * random - 1))
    }
}
