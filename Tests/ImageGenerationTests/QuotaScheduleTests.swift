import Testing

@testable import ImageGeneration

/// The quota line against a simulated API: fixed windows, a latency, a concurrency limit, on a clock
/// of plain numbers (issue 10, points 1 and 2).
@Suite struct QuotaScheduleTests {
    /// A fixed-window quota as the fake server and the real API apply it: `limit` requests per
    /// `window` seconds, windows starting at multiples of `window`; a refusal names the window's end.
    struct WindowedAPI {
        var limit: Int
        var window: Double
        var used: [Int: Int] = [:]

        mutating func call(at time: Double) -> Double? {
            let index = Int((time / window).rounded(.down))
            guard used[index, default: 0] < limit else { return Double(index + 1) * window - time }
            used[index, default: 0] += 1
            return nil
        }
    }

    struct Outcome {
        var served = 0
        var refusals = 0
        var finished = 0.0
        var order: [Int] = []
    }

    /// `scenes` scenes, at most `concurrency` requests in flight, each taking `latency`.
    static func simulate(
        scenes: Int,
        limit: Int,
        window: Double,
        latency: Double,
        concurrency: Int,
        probeAfter: Int = 3
    ) -> Outcome {
        enum Phase {
            case ready
            case waiting(until: Double)
            case awaitingWindow
            case inFlight(done: Double, refusedFor: Double?)
            case done
        }
        var schedule = QuotaSchedule(probeAfter: probeAfter, margin: 0)
        var api = WindowedAPI(limit: limit, window: window)
        var phases = Array(repeating: Phase.ready, count: scenes)
        var tickets: [UInt64?] = Array(repeating: nil, count: scenes)
        var outcome = Outcome()
        var now = 0.0
        let step = 0.01
        while outcome.served < scenes, now < 10_000 {
            var woke = false
            for scene in 0..<scenes {
                guard case .inFlight(let done, let refusal) = phases[scene], done <= now else { continue }
                if let retry = refusal {
                    schedule.refused("m", retryDelay: retry, now: now)
                    phases[scene] = .ready
                } else {
                    schedule.succeeded("m", now: now)
                    phases[scene] = .done
                    outcome.served += 1
                    outcome.order.append(scene)
                    outcome.finished = now
                }
                woke = true
            }
            var inFlight = phases.filter { if case .inFlight = $0 { return true } else { return false } }.count
            for scene in 0..<scenes {
                switch phases[scene] {
                case .waiting(let until) where until <= now: break
                case .awaitingWindow where woke: break
                case .ready: break
                default: continue
                }
                guard inFlight < concurrency else { break }
                switch schedule.admit("m", ticket: tickets[scene], now: now) {
                case .send:
                    let refusal = api.call(at: now)
                    if refusal != nil { outcome.refusals += 1 }
                    phases[scene] = .inFlight(done: now + latency, refusedFor: refusal)
                    inFlight += 1
                case .wait(let until, let ticket):
                    tickets[scene] = ticket
                    phases[scene] = .waiting(until: until)
                case .awaitWindow(let ticket):
                    tickets[scene] = ticket
                    phases[scene] = .awaitingWindow
                }
            }
            now += step
        }
        return outcome
    }

    /// The issue's scenario: 10 requests per 10 s, 1 s latency, 100 scenes, one model. Ideal: ten
    /// windows and one latency, 101 s.
    @Test func aWindowQuotaIsLearntAndFilledWithFewRefusals() {
        let outcome = Self.simulate(scenes: 100, limit: 10, window: 10, latency: 1, concurrency: 8)
        #expect(outcome.served == 100)
        #expect(outcome.refusals <= 12, "\(outcome.refusals) refusals")
        #expect(outcome.finished <= 1.1 * 101, "\(outcome.finished) s")
        print("quota simulation: 100 scenes in \(outcome.finished) s (ideal 101 s), \(outcome.refusals) refusals")
    }

    @Test func scenesAreServedInArrivalOrderOnceLimited() {
        let outcome = Self.simulate(scenes: 40, limit: 5, window: 4, latency: 0.5, concurrency: 16)
        #expect(outcome.served == 40)
        // Before the first refusal everyone raced; after it, the line is served oldest first.
        let tail = Array(outcome.order.suffix(25))
        #expect(tail == tail.sorted(), "\(outcome.order)")
    }

    @Test func theLimitIsProbedUpwardsSlowlyAndSetBackByARefusal() {
        var schedule = QuotaSchedule(probeAfter: 2, margin: 0)
        for t in 0..<4 { #expect(schedule.admit("m", ticket: nil, now: Double(t) * 0.1) == .send) }
        for t in 0..<3 { schedule.succeeded("m", now: Double(t) * 0.1 + 0.5) }
        schedule.refused("m", retryDelay: 9.7, now: 0.3)
        #expect(schedule.learnt("m").limit == 3)
        #expect(schedule.admit("m", ticket: nil, now: 1) == .wait(until: 10, ticket: 1))
        // A window whose end is unknown: the first in line learns it, the others wait for that answer.
        #expect(schedule.admit("m", ticket: 1, now: 10) == .send)
        #expect(schedule.admit("m", ticket: nil, now: 10) == .send)
        #expect(schedule.admit("m", ticket: nil, now: 10) == .send)
        #expect(schedule.admit("m", ticket: nil, now: 10) == .send, "the teacher")
        #expect(schedule.admit("m", ticket: nil, now: 10) == .awaitWindow(ticket: 5))
        for _ in 0..<3 { schedule.succeeded("m", now: 10.5) }
        schedule.refused("m", retryDelay: 9.5, now: 10.5)
        #expect(schedule.learnt("m").window == 10, "two window ends in a row")
        // Two clean full windows later the limit is tried one higher.
        schedule.leave("m", ticket: 5)
        for start in [20.0, 30.0] {
            for _ in 0..<3 { #expect(schedule.admit("m", ticket: nil, now: start) == .send) }
            guard case .wait(let until, let ticket) = schedule.admit("m", ticket: nil, now: start) else {
                Issue.record("a full window let a fourth request through")
                return
            }
            #expect(until == start + 10)
            schedule.leave("m", ticket: ticket)
            for _ in 0..<3 { schedule.succeeded("m", now: start + 0.5) }
        }
        for _ in 0..<4 { #expect(schedule.admit("m", ticket: nil, now: 40) == .send) }
        #expect(schedule.learnt("m").limit == 4)
        for _ in 0..<3 { schedule.succeeded("m", now: 40.5) }
        schedule.refused("m", retryDelay: 9.5, now: 40.5)
        #expect(schedule.learnt("m").limit == 3, "back to what succeeded")
        #expect(schedule.conditions(now: 41).map(\.model) == ["m"], "held until the window ends")
        #expect(schedule.conditions(now: 50.1).isEmpty)
    }
}
