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
