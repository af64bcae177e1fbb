import ImageGeneration
import Testing

/// The attempt loop's rules as a pure state machine: every time is a plain number of seconds, as the
/// manual clock would give them.
@Suite struct AttemptMachineTests {
    func machine(
        retries: Int = 2,
        quotaWait: Double = 60,
        coordinatorWait: Double = 900,
        budget: Bool = true
    ) -> AttemptMachine {
        AttemptMachine(
            policy: RetryPolicy(maxRetries: retries, baseDelay: 1, maxDelay: 30, jitter: 0),
            quotaWait: quotaWait,
            coordinatorWait: coordinatorWait,
            hasBudget: budget
        )
    }

    @Test func aTurnIsWaitedForThenTheImageIsChecked() {
        var m = machine()
        #expect(m.start() == .admit(holdsTurn: false))
        #expect(m.admitted(.wait(until: 4, holdsTurn: true), now: 0) == .sleep(until: 4, shown: true))
        #expect(m.woke() == .admit(holdsTurn: true), "the turn is kept while it sleeps")
        #expect(m.admitted(.send, now: 4) == .send(ticket: nil, attempt: 1))
        let image = APIAnswer.image(
            bytes: [1],
            mimeType: "image/png",
            usage: TokenUsage(inputTokens: 1, outputImageTokens: 2)
        )
        #expect(
            m.sent(.answer(image), now: 5, random: 0.5)
                == .checkImage(mimeType: "image/png", usage: TokenUsage(inputTokens: 1, outputImageTokens: 2))
        )
        #expect(m.attempts == 1)
    }

    /// Per-minute 429s put the scene back in line and do not count against `--retries`; server errors do.
    @Test func perMinute429sDoNotCountAgainstRetries() {
        var m = machine(retries: 1)
        _ = m.start()
        let limited = APIAnswer.failure(.http(status: 429, message: "429", retryDelay: 5))
        for second in [0.0, 10, 20] {
            #expect(m.admitted(.send, now: second) == .send(ticket: nil, attempt: m.attempts + 1))
            #expect(m.sent(.answer(limited), now: second, random: 0.5) == .admit(holdsTurn: false))
        }
        let overloaded = APIAnswer.failure(.http(status: 503, message: "503 UNAVAILABLE"))
        _ = m.admitted(.send, now: 30)
        #expect(m.sent(.answer(overloaded), now: 30, random: 0.5) == .sleep(until: 31, shown: false), "the one retry")
        #expect(m.woke() == .admit(holdsTurn: false))
        _ = m.admitted(.send, now: 31)
        #expect(
            m.sent(.answer(overloaded), now: 31, random: 0.5)
                == .giveUp(.serverError, .request, message: "503 UNAVAILABLE", attempts: 2),
            "five requests, two of them counted"
        )
    }

    @Test func theQuotaLineIsWaitedInForAtMostQuotaWait() {
        var m = machine(quotaWait: 60)
        _ = m.start()
        _ = m.admitted(.send, now: 0)
        #expect(m.sent(.queued(until: 30, ticket: 7), now: 0, random: 0.5) == .sleep(until: 30, shown: true))
        #expect(m.ticket == 7, "its place in line is kept")
        _ = m.woke()
        _ = m.admitted(.send, now: 30)
        #expect(m.sent(.queued(until: nil, ticket: 7), now: 30, random: 0.5) == .waitForQuotaChange)
        _ = m.admitted(.send, now: 50)
        #expect(m.sent(.queued(until: 55, ticket: 7), now: 50, random: 0.5) == .sleep(until: 55, shown: true))
        _ = m.admitted(.send, now: 60)
        guard
            case .finish(.failed(.rateLimited, let message, 0, false)) = m.sent(
                .queued(until: 90, ticket: 7),
                now: 60,
                random: 0.5
            )
        else {
            Issue.record("still waiting after --quota-wait")
            return
        }
        #expect(message.contains("after waiting 60 s"))
    }

    /// A wait the API asks for beyond what is left of `--quota-wait` ends the step at once, said once.
    @Test func aRetryDelayBeyondQuotaWaitMovesOn() {
        var m = machine(quotaWait: 60)
        _ = m.start()
        _ = m.admitted(.send, now: 100)
        guard
            case .moveOn(3600, 60, .failed(.rateLimited, let message, 1, false)) = m.sent(
                .answer(.failure(.http(status: 429, message: "429", retryDelay: 3600))),
                now: 100,
                random: 0.5
            )
        else {
            Issue.record("waited for an hour")
            return
        }
        #expect(message.contains("retry in 3600 s, more than the 60 s left"))
    }

    @Test func anUnreachableCoordinatorIsWaitedForAtMostCoordinatorWait() {
        var m = machine(coordinatorWait: 900)
        _ = m.start()
        _ = m.admitted(.send, now: 0)
        #expect(
            m.sent(.refused(.unavailable("down")), now: 0, random: 0.5)
                == .waitForCoordinator(message: "down", seconds: 900, firstTime: true)
        )
        #expect(m.coordinatorWaited("down", available: true, cancelled: false) == .admit(holdsTurn: false))
        _ = m.admitted(.send, now: 100)
        #expect(
            m.sent(.refused(.unavailable("down")), now: 100, random: 0.5)
                == .waitForCoordinator(message: "down", seconds: 800, firstTime: false),
            "counted from the first wait, said once"
        )
        guard
            case .finish(.failed(.budgetUnavailable, _, 0, true)) = m.coordinatorWaited(
                "down",
                available: false,
                cancelled: false
            )
        else {
            Issue.record("no budget_unavailable")
            return
        }
        #expect(m.coordinatorWaited("down", available: false, cancelled: true) == .finish(.cancelled(attempts: 0)))
    }

    @Test func anUnwritableLedgerFailsAtOnceWithoutABudgetAndIsWaitedForWithOne() {
        var without = machine(budget: false)
        _ = without.start()
        _ = without.admitted(.send, now: 0)
        guard
            case .finish(.failed(.ledgerUnwritable, _, _, true)) = without.sent(
                .refused(.unrecorded("full")),
                now: 0,
                random: 0.5
            )
        else {
            Issue.record("a paid request without a ledger line")
            return
        }
        var with = machine(coordinatorWait: 12, budget: true)
        _ = with.start()
        _ = with.admitted(.send, now: 0)
        #expect(with.sent(.refused(.unrecorded("full")), now: 0, random: 0.5) == .sleep(until: 5, shown: true))
        _ = with.admitted(.send, now: 10)
        #expect(with.sent(.refused(.unrecorded("full")), now: 10, random: 0.5) == .sleep(until: 12, shown: true))
        _ = with.admitted(.send, now: 12)
        guard
            case .finish(.failed(.budgetUnavailable, _, _, true)) = with.sent(
                .refused(.unrecorded("full")),
                now: 12,
                random: 0.5
            )
        else {
            Issue.record("waited past --coordinator-wait")
            return
        }
    }

    @Test func finalAnswersEndTheStep() {
        var m = machine()
        _ = m.start()
        _ = m.admitted(.send, now: 0)
        #expect(
            m.sent(.answer(.noImage(.safetyBlocked, message: "IMAGE_SAFETY")), now: 0, random: 0.5)
                == .finish(.failed(.safetyBlocked, message: "IMAGE_SAFETY", attempts: 1, stopHere: true))
        )
        var cancelled = machine()
        _ = cancelled.start()
        _ = cancelled.admitted(.send, now: 0)
        #expect(cancelled.sent(.answer(.failure(.cancelled)), now: 0, random: 0.5) == .finish(.cancelled(attempts: 1)))
        var budget = machine()
        _ = budget.start()
        #expect(
            budget.admitted(.fallBack(.budgetExceeded, message: "spent", stopHere: true), now: 0)
                == .finish(.failed(.budgetExceeded, message: "spent", attempts: 0, stopHere: true))
        )
        #expect(budget.probed(nil) == .admit(holdsTurn: false))
    }
}
