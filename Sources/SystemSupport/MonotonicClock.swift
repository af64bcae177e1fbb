/// The clock every timer of SceneDrop reads: settle, backoff, rechecks, cool-downs, the token bucket
/// and deadlines. Built from any `Clock` with `Duration` steps: `ContinuousClock` in production (it
/// never jumps when the system clock is set), a manual clock in tests. Wall time (`WallClock`) is only
/// for timestamps, file ages and the UTC day.
///
/// Times are seconds since the clock was made, as `Double`, so the pure policies that compare and add
/// them stay free of generics.
package struct MonotonicClock: Sendable {
    private let readNow: @Sendable () -> Double
    private let sleepUntil: @Sendable (Double) async throws -> Void

    package init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        readNow = { origin.duration(to: clock.now).seconds }
        sleepUntil = { seconds in
            // At most a century: a time from outside (a delay an API answer asks for) may be anything, and
            // nanoseconds past Int64's range would trap.
            let bounded = seconds.isNaN ? 0 : min(max(seconds, 0), 3.2e9)
            try await clock.sleep(
                until: origin.advanced(by: .nanoseconds(Int64((bounded * 1e9).rounded(.up)))),
                tolerance: nil
            )
        }
    }

    /// The production clock.
    package static let continuous = MonotonicClock(ContinuousClock())

    /// Seconds since this clock was made.
    package func now() -> Double { readNow() }

    /// Returns at `time` (seconds on this clock); throws `CancellationError` when cancelled first.
    package func sleep(until time: Double) async throws {
        try await sleepUntil(time)
    }

    package func sleep(for seconds: Double) async throws {
        try await sleepUntil(now() + max(0, seconds))
    }

    /// Sleeps `seconds`; false when the task was cancelled meanwhile.
    package func pause(_ seconds: Double) async -> Bool {
        (try? await sleep(for: seconds)) != nil
    }
}
