import Foundation

public struct TimedOut: Error, CustomStringConvertible {
    public var what: String
    public init(what: String) { self.what = what }
    public var description: String { "timed out waiting for \(what)" }
}

/// Waits until `condition` holds, checking every `interval`, for at most `timeout`. This is a
/// deadline on a condition, not a fixed sleep: it returns as soon as the condition holds.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(30), interval: Duration = .milliseconds(20),
    _ condition: () throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try condition() { return }
        if clock.now >= deadline { throw TimedOut(what: what) }
        try await Task.sleep(for: interval)
    }
}

/// Runs CPU-heavy test work on a thread of its own: on Swift's cooperative pool (two threads on
/// these machines) seconds of it would starve every other test's waits running in parallel.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
