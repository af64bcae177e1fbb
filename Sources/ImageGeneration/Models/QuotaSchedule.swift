import SystemSupport

/// Turns per-minute quotas into waiting, not fallbacks: what the daemon has learnt of each model's
/// quota window, and the line of scenes waiting for it. Pure: monotonic times are passed in.
///
/// - Until a model answers 429 it is not limited at all.
/// - A 429 shows the limit (the requests of the last minute that were not refused, at least one: those
///   still in flight count, as they were let in) and, through `RetryInfo`, when the window ends. From then on at most `limit` requests go out per window; the
///   rest wait in arrival order ("tickets"), across every session of the daemon, and keep their
///   place when a request of theirs is refused.
/// - Two window ends in a row show the window's length; from then on windows roll over on their own,
///   without a 429 to announce them. Until then, when a window is used up and its end is unknown, one
///   request at a time (the "teacher") goes out to learn it.
/// - After `probeAfter` clean, full windows the limit grows by one (additive increase); a 429 sets it
///   back to what the window actually let in (multiplicative decrease). In steady state that is
///   at most one 429 per model per `probeAfter` windows.
package struct QuotaSchedule: Sendable, Equatable {
    struct Model: Sendable, Equatable {
        /// Requests per window the API allows; nil until the first 429.
        var limit: Int?
        var windowEnd: Double?
        var windowLength: Double?
        /// The end of the window before, to learn `windowLength` from the next one.
        var lastWindowEnd: Double?
        /// Requests let out in this window (the gate), and of those the ones not refused (the learning).
        var sentInWindow = 0
        var acceptedInWindow = 0
        var refusedInWindow = false
        var cleanFullWindows = 0
        /// Waiting tickets, oldest first.
        var line: [UInt64] = []
        /// A request sent to learn an unknown window end.
        var teacherOut = false
        /// Send and refusal times before the first 429, for the first limit.
        var recentSends: [Double] = []
        var recentRefusals: [Double] = []
    }

    package enum Admission: Sendable, Equatable {
        /// Send now.
        case send
        /// Wait until then (a window end), keeping `ticket`.
        case wait(until: Double, ticket: UInt64)
        /// Wait for the teacher's answer (the window's end is being learnt), keeping `ticket`.
        case awaitWindow(ticket: UInt64)
    }

    private var models: [String: Model] = [:]
    private var nextTicket: UInt64 = 0
    /// Clean full windows before the limit is probed one higher.
    package let probeAfter: Int
    /// How far back requests count towards the first limit: per-minute quotas.
    static let firstWindow: Double = 60

    /// Seconds added to every window end the API names: a request that reaches the API a moment
    /// early is refused, and answers arrive a little after the API computed them.
    package let margin: Double

    package init(probeAfter: Int = 3, margin: Double = 0.02) {
        self.probeAfter = probeAfter
        self.margin = margin
    }

    /// May the holder of `ticket` (nil: a request not yet in line) send to `model` now?
    package mutating func admit(_ model: String, ticket: UInt64?, now: Double) -> Admission {
        var state = models[model] ?? Model()
        defer { models[model] = state }
        Self.roll(&state, now: now, probeAfter: probeAfter)
        guard let limit = state.limit else {
            state.recentSends.append(now)
            state.recentSends.removeAll { $0 <= now - Self.firstWindow }
            return .send
        }
        let mine =
            ticket
            ?? {
                nextTicket += 1
                state.line.append(nextTicket)
                return nextTicket
            }()
        if !state.line.contains(mine) { state.line.insert(mine, at: 0) }
        let position = state.line.firstIndex(of: mine) ?? 0
        if position < limit - state.sentInWindow {
            state.line.remove(at: position)
            state.sentInWindow += 1
            state.acceptedInWindow += 1
            return .send
        }
        if let end = state.windowEnd { return .wait(until: end, ticket: mine) }
        // The window is used up and nobody knows when it ends: the first in line asks, and learns.
        if !state.teacherOut, position == 0 {
            state.line.removeFirst()
            state.teacherOut = true
            state.sentInWindow += 1
            state.acceptedInWindow += 1
            return .send
        }
        return .awaitWindow(ticket: mine)
    }

    /// A request to `model` succeeded.
    package mutating func succeeded(_ model: String, now: Double) {
        var state = models[model] ?? Model()
        Self.roll(&state, now: now, probeAfter: probeAfter)
        state.teacherOut = false
        models[model] = state
    }

    /// A request to `model` was refused with a per-minute 429; `retryDelay` is `RetryInfo`'s, when given.
    package mutating func refused(_ model: String, retryDelay: Double?, now: Double) {
        var state = models[model] ?? Model()
        Self.roll(&state, now: now, probeAfter: probeAfter)
        state.acceptedInWindow = max(0, state.acceptedInWindow - 1)
        if let limit = state.limit {
            if state.sentInWindow >= limit {
                // More went out than the window allows: the limit is what it let in.
                state.limit = max(1, min(limit, state.acceptedInWindow))
            }
            // Fewer went out than the limit: this window started before the API's did (the clocks
            // differ by a little). The limit stands; the window's end moves to the API's, below.
        } else {
            state.recentRefusals.append(now)
            let since = now - Self.firstWindow
            state.limit = max(
                1,
                state.recentSends.filter { $0 > since }.count - state.recentRefusals.filter { $0 > since }.count
            )
            // What the unlimited minute let in counts as this window's.
            state.acceptedInWindow = state.limit ?? 1
        }
        let end = now + max(0.05, retryDelay ?? 60) + margin
        if state.windowEnd == nil, let last = state.lastWindowEnd, end - last > 0.5 { state.windowLength = end - last }
        // The window is spent until the API's end, which is what counts (ours may have drifted).
        state.windowEnd = end
        state.sentInWindow = state.limit ?? 1
        state.refusedInWindow = true
        state.cleanFullWindows = 0
        state.teacherOut = false
        models[model] = state
    }

    /// A ticket leaves the line without sending (the scene gave up waiting or was cancelled).
    package mutating func leave(_ model: String, ticket: UInt64) {
        models[model]?.line.removeAll { $0 == ticket }
    }

    /// The teacher's request ended without an answer about the quota (timeout, 5xx): another may ask.
    package mutating func teacherDone(_ model: String) {
        models[model]?.teacherOut = false
    }

    /// Models now held back, with the end of their window (when known) and how many wait.
    package func conditions(now: Double) -> [(model: String, until: Double?, waiting: Int)] {
        models.compactMap { model, state in
            var state = state
            Self.roll(&state, now: now, probeAfter: probeAfter)
            guard let limit = state.limit, state.sentInWindow >= limit || !state.line.isEmpty else { return nil }
            return (model, state.windowEnd, state.line.count)
        }
        .sorted { $0.model < $1.model }
    }

    /// The models held back now, in plain words.
    package func describe(now: Double) -> [String] {
        conditions(now: now).map { held in
            let window =
                held.until.map { "its quota window ends in \(Int(saturating: ($0 - now).rounded(.up))) s" }
                ?? "learning when its quota window ends"
            return "\(held.model) is at its per-minute quota: \(held.waiting) waiting, \(window)"
        }
    }

    /// The learnt limit and window, for the log and tests.
    package func learnt(_ model: String) -> (limit: Int?, window: Double?) {
        (models[model]?.limit, models[model]?.windowLength)
    }

    /// Starts the windows that have begun by `now`.
    static func roll(_ state: inout Model, now: Double, probeAfter: Int) {
        guard let end = state.windowEnd, now >= end else { return }
        let wasFull = state.sentInWindow >= (state.limit ?? .max)
        if !state.refusedInWindow && wasFull {
            state.cleanFullWindows += 1
            if state.cleanFullWindows >= probeAfter, let limit = state.limit {
                state.limit = limit + 1
                state.cleanFullWindows = 0
            }
        }
        state.lastWindowEnd = end
        if let length = state.windowLength {
            let skipped = ((now - end) / length).rounded(.down)
            state.windowEnd = end + (skipped + 1) * length
        } else {
            state.windowEnd = nil
        }
        state.sentInWindow = 0
        state.acceptedInWindow = 0
        state.refusedInWindow = false
    }
}
