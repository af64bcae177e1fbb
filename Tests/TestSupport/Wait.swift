import Foundation

package struct TimedOut: Error, CustomStringConvertible {
    package var what: String
    package init(what: String) { self.what = what }
    package var description: String { "timed out waiting for \(what)" }
}

/// How long a test waits for a condition by default. It only has to catch a hang, so it is generous:
/// when the whole suite starts at once on two cores, in-process work (a daemon on the test's
/// cooperative pool) can make no progress for 20–30 s, and a 30 s deadline failed healthy tests in
/// CI that way.
package let defaultWaitTimeout = Duration.seconds(90)

/// Waits until `condition` holds, checking first after `interval`, for at most `timeout`. This is a
/// deadline on a condition, not a fixed sleep: it returns as soon as the condition holds.
///
/// The pause between checks grows to a quarter second: a hundred tests checking every 20 ms, with
/// conditions that read logs and outboxes, kept the test pool's two threads so busy that every
/// test's wake-ups came seconds late. A short wait is still checked often.
package func waitUntil(
    _ what: String,
    timeout: Duration = defaultWaitTimeout,
    interval: Duration = .milliseconds(20),
    _ condition: () throws -> Bool
) async throws {
    try await waitUntil(what, timeout: timeout, interval: interval, asking: { try condition() })
}

/// The same, for a condition that must itself wait (a query to a database, a request to the web view).
package func waitUntil(
    _ what: String,
    timeout: Duration = defaultWaitTimeout,
    interval: Duration = .milliseconds(20),
    asking condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    let longest = max(interval, .milliseconds(250))
    var pause = interval
    while true {
        if try await condition() { return }
        if clock.now >= deadline { throw TimedOut(what: what) }
        try await Task.sleep(for: pause)
        pause = min(pause * 3 / 2, longest)
    }
}

/// Runs CPU-heavy test work on a thread of its own: on Swift's cooperative pool (two threads on
/// these machines) seconds of it would starve every other test's waits running in parallel.
package func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
