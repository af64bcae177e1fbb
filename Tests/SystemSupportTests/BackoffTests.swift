import SystemSupport
import Testing

@Suite struct BackoffTests {
    @Test func eachWaitIsTheLastTimesTheFactorUpToTheCap() {
        let doubling = Backoff(initial: 2, maximum: 300)
        #expect((1...10).map { doubling.delay(after: $0) } == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300])
        let polls = Backoff(initial: 10, maximum: 300, factor: 1.5)
        #expect(polls.delay(after: 1) == 10 && polls.delay(after: 2) == 15 && polls.delay(after: 3) == 22.5)
    }

    @Test func jitterSpreadsEachWaitBothWays() {
        let backoff = Backoff(initial: 1, maximum: 30, jitter: 0.2)
        #expect(backoff.delay(after: 3, random: 0) == 4 * 0.8)
        #expect(backoff.delay(after: 3, random: 0.5) == 4)
        #expect(abs(backoff.delay(after: 3, random: 0.999_999) - 4.8) < 1e-5)
    }

    /// A failure count from a long outage, or a zero start, ends in a few steps and never overflows.
    @Test func anyCountIsCheapAndFinite() {
        #expect(Backoff(initial: 2, maximum: 300).delay(after: .max) == 300)
        #expect(Backoff(initial: 0, maximum: 300).delay(after: .max) == 0)
        #expect(Backoff(initial: 1, maximum: 60, factor: 1).delay(after: .max) == 1)
        #expect(Backoff(initial: 5, maximum: 1).delay(after: 1) == 5, "a cap below the start is the start")
        #expect(Backoff(initial: 1, maximum: 30).delay(after: 0) == 1)
        #expect(Backoff(initial: 1, maximum: 30).delay(after: -3) == 1)
    }
}
