import Spend
import SystemSupport

/// One scene's way through one model, as a pure state machine (async-http-client's
/// `Transaction+StateMachine` is the model): the driver (`ModelProvider.attempt`) tells it what happened —
/// an admission decision, a sleep that ended, what the quota line or the budget said, an answer — and it
/// answers with the next action. Every rule of the attempt lives here: `--quota-wait` and the API's retry
/// delays, per-minute 429s that do not count against `--retries`, the retry policy, waiting for the
/// coordinator or an unwritable ledger for at most `--coordinator-wait`. Times are the monotonic clock's
/// seconds, passed in, so tests drive it with plain numbers.
package struct AttemptMachine: Sendable {
    package enum Action: Sendable, Equatable {
        /// Ask the shared admission (rate turn, key probe gate, budget, health).
        case admit(holdsTurn: Bool)
        /// Sleep until `until` (a turn, a window, a backoff, a look at the ledger); then `woke()`.
        /// `shown`: the scene shows as waiting meanwhile.
        case sleep(until: Double, shown: Bool)
        /// Probe key and endpoint for every scene waiting on it; then `probed(_:)`.
        case probe
        /// Send the request (the quota line's word first); then `sent(_:now:random:)`.
        case send(ticket: UInt64?, attempt: Int)
        /// Wait for another scene's answer to show when the quota window ends; then `woke()`.
        case waitForQuotaChange
        /// Wait for the coordinator, at most `seconds`; `firstTime` for the one log line. Then `coordinatorWaited`.
        case waitForCoordinator(message: String, seconds: Double, firstTime: Bool)
        /// An image came: check it (the step's outcome is the check's).
        case checkImage(mimeType: String?, usage: TokenUsage?)
        /// A final failure whose scope the driver applies to the shared state before it ends the step.
        case giveUp(FallbackReason, RetryPolicy.Scope, message: String, attempts: Int)
        /// The API asked for a wait beyond what is left of `--quota-wait`: said once, then the step ends.
        case moveOn(retryDelay: Double, left: Double, outcome: Outcome)
        /// The step is over.
        case finish(Outcome)
    }

    package enum Outcome: Sendable, Equatable {
        case failed(FallbackReason, message: String, attempts: Int, stopHere: Bool)
        case cancelled(attempts: Int)
    }

    /// What the send phase came back with (the driver's `Sent`, as data).
    package enum Sent: Sendable, Equatable {
        case answer(APIAnswer)
        case queued(until: Double?, ticket: UInt64)
        case refused(BudgetRefusal)
    }

    /// Why the budget gate did not let the request go.
    package enum BudgetRefusal: Sendable, Equatable {
        case exceeded(String)
        case unavailable(String)
        case unrecorded(String)

        /// The gate's refusal; nil when it granted the charge.
        package init?(_ decision: BudgetDecision) {
            switch decision {
            case .granted: return nil
            case .exceeded(let message): self = .exceeded(message)
            case .unavailable(let message): self = .unavailable(message)
            case .unrecorded(let message): self = .unrecorded(message)
            }
        }
    }

    let policy: RetryPolicy
    /// `--quota-wait`, `--coordinator-wait`, in seconds.
    let quotaWait: Double
    let coordinatorWait: Double
    /// A daily budget is set: an unwritable ledger is waited for instead of failing the scene at once.
    let hasBudget: Bool

    /// Requests sent (answered) so far.
    package private(set) var attempts = 0
    /// Per-minute 429s among them: they do not count against `--retries`.
    private var quotaRefusals = 0
    private var holdsTurn = false
    /// The scene's place in the model's quota line.
    package private(set) var ticket: UInt64?
    private var waitingSince: Double?
    private var coordinatorWaitSince: Double?
    private var ledgerWaitSince: Double?

    package init(policy: RetryPolicy, quotaWait: Double, coordinatorWait: Double, hasBudget: Bool) {
        self.policy = policy
        self.quotaWait = quotaWait
        self.coordinatorWait = coordinatorWait
        self.hasBudget = hasBudget
    }

    package mutating func start() -> Action { .admit(holdsTurn: holdsTurn) }

    package mutating func admitted(_ decision: ModelAdmission.Decision, now: Double) -> Action {
        switch decision {
        case .fallBack(let reason, let message, let stopHere):
            return .finish(.failed(reason, message: message, attempts: attempts, stopHere: stopHere))
        case .wait(let until, let holds):
            holdsTurn = holds
            return .sleep(until: until, shown: true)
        case .awaitProbe:
            return .admit(holdsTurn: holdsTurn)
        case .probe:
            return .probe
        case .send:
            holdsTurn = false
            return .send(ticket: ticket, attempt: attempts + 1)
        }
    }

    /// A sleep or a wait ended: decide again.
    package mutating func woke() -> Action { .admit(holdsTurn: holdsTurn) }

    /// The probe's verdict: `stop` when this step must end, nil to decide again (the probe may have found
    /// this model missing while others waited for it).
    package mutating func probed(_ stop: Outcome?) -> Action {
        stop.map(Action.finish) ?? .admit(holdsTurn: holdsTurn)
    }

    package mutating func sent(_ sent: Sent, now: Double, random: Double) -> Action {
        switch sent {
        case .queued(let until, let ticket):
            self.ticket = ticket
            let since = waitingSince ?? now
            waitingSince = since
            if let over = quotaWaitOver(now: now) { return .finish(over) }
            guard let until else { return .waitForQuotaChange }
            if let over = retryBeyondQuotaWait(until - now, now: now) { return over }
            return .sleep(until: min(until, since + quotaWait), shown: true)
        case .refused(.exceeded(let message)):
            return .finish(.failed(.budgetExceeded, message: message, attempts: attempts, stopHere: true))
        case .refused(.unavailable(let message)):
            let first = coordinatorWaitSince == nil
            let since = coordinatorWaitSince ?? now
            coordinatorWaitSince = since
            let left = since + coordinatorWait - now
            guard left > 0 else { return .finish(coordinatorGone(message)) }
            return .waitForCoordinator(message: message, seconds: left, firstTime: first)
        case .refused(.unrecorded(let message)):
            guard hasBudget else {
                return .finish(.failed(.ledgerUnwritable, message: message, attempts: attempts, stopHere: true))
            }
            let since = ledgerWaitSince ?? now
            ledgerWaitSince = since
            let left = since + coordinatorWait - now
            guard left > 0 else {
                return .finish(
                    .failed(
                        .budgetUnavailable,
                        message:
                            "\(message); waited \(Int(saturating: coordinatorWait)) s (--coordinator-wait), and a budget cannot be kept without it",
                        attempts: attempts,
                        stopHere: true
                    )
                )
            }
            // Looked at again every few seconds.
            return .sleep(until: now + min(left, 5), shown: true)
        case .answer(let answer):
            attempts += 1
            return answered(answer, now: now, random: random)
        }
    }

    /// The coordinator answered again (`available`), or the wait ended without it.
    package mutating func coordinatorWaited(_ message: String, available: Bool, cancelled: Bool) -> Action {
        if available { return .admit(holdsTurn: holdsTurn) }
        if cancelled { return .finish(.cancelled(attempts: attempts)) }
        return .finish(coordinatorGone(message))
    }

    private func coordinatorGone(_ message: String) -> Outcome {
        .failed(
            .budgetUnavailable,
            message:
                "\(message); waited \(Int(saturating: coordinatorWait)) s (--coordinator-wait) without it, and a budget cannot be kept without it",
            attempts: attempts,
            stopHere: true
        )
    }

    private mutating func answered(_ answer: APIAnswer, now: Double, random: Double) -> Action {
        switch answer {
        case .image(_, let mimeType, let usage):
            return .checkImage(mimeType: mimeType, usage: usage)
        case .noImage(let reason, let message):
            // 200 answers are final: a safety block goes straight to the placeholder.
            return .finish(.failed(reason, message: message, attempts: attempts, stopHere: reason == .safetyBlocked))
        case .failure(.http(429, _, let retryDelay, false, _)):
            // Not this scene's failure: back in line (its place kept) until the window the API named ends.
            quotaRefusals += 1
            waitingSince = waitingSince ?? now
            if let over = retryBeyondQuotaWait(retryDelay, now: now) { return over }
            if let over = quotaWaitOver(now: now) { return .finish(over) }
            return .admit(holdsTurn: holdsTurn)
        case .failure(let failure):
            let counted = attempts - quotaRefusals
            switch policy.decide(failure, attempts: counted, random: random) {
            case .stop:
                return .finish(.cancelled(attempts: counted))
            case .retry(let delay):
                return .sleep(until: now + delay, shown: false)
            case .giveUp(let reason, let scope):
                return .giveUp(reason, scope, message: ModelProvider.describe(failure), attempts: counted)
            }
        }
    }

    /// `rate_limited` at once when the API asks for a wait longer than what is left of `--quota-wait`: it has
    /// said that nothing will change in time, so waiting out the rest (on each model of the chain) only holds
    /// the session.
    private func retryBeyondQuotaWait(_ retryDelay: Double?, now: Double) -> Action? {
        guard let retryDelay, let since = waitingSince else { return nil }
        let left = max(0, quotaWait - (now - since))
        guard retryDelay > left else { return nil }
        return .moveOn(
            retryDelay: retryDelay,
            left: left,
            outcome: .failed(
                .rateLimited,
                message:
                    "the API asked to retry in \(Int(saturating: retryDelay)) s, more than the \(Int(saturating: left)) s left of --quota-wait (\(Int(saturating: quotaWait)) s)",
                attempts: attempts,
                stopHere: false
            )
        )
    }

    /// `rate_limited` once the scene has waited `--quota-wait` for quota.
    private func quotaWaitOver(now: Double) -> Outcome? {
        guard let since = waitingSince, now - since >= quotaWait else { return nil }
        return .failed(
            .rateLimited,
            message:
                "still over the model's per-minute quota after waiting \(Int(saturating: quotaWait)) s (--quota-wait)",
            attempts: attempts,
            stopHere: false
        )
    }
}
