import SystemSupport

/// What all sessions of the daemon share about the Gemini API, around the pure `ModelAdmission`
/// policy: one actor, so a 429 seen by one scene makes every other scene wait once instead of piling
/// on, and one hop per decision. Monotonic times come from the injected clock.
package actor ProviderState {
    private var admission: ModelAdmission
    /// Per-minute quotas as learnt from 429s, and the line of scenes waiting for them. Apart from
    /// `admission`: it is asked under a `--concurrency` permit, not before one.
    private var quota = QuotaSchedule()
    private var probeWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter: UInt64 = 0
    package nonisolated let clock: MonotonicClock
    package nonisolated let reprobeAfter: Double

    /// - Parameter reprobeAfter: seconds after an unreachable endpoint before a scene tries it again.
    package init(requestsPerMinute: Double?, reprobeAfter: Double = 30, clock: MonotonicClock = .continuous) {
        admission = ModelAdmission(requestsPerMinute: requestsPerMinute, reprobeAfter: reprobeAfter)
        self.reprobeAfter = reprobeAfter
        self.clock = clock
    }

    /// The decision for one request. While another scene probes key and endpoint, waits for its verdict
    /// and decides again; that wait ends at once when the calling task is cancelled.
    package func admit(
        _ ask: ModelAdmission.Ask,
        wallNow: Double
    ) async throws(CancellationError) -> ModelAdmission.Decision {
        while true {
            let decision = admission.decide(ask, now: clock.now(), wallNow: wallNow)
            guard decision == .awaitProbe else { return decision }
            try await waitForVerdict()
        }
    }

    /// The quota line's word, asked while the caller holds a `--concurrency` permit.
    package func admitQuota(_ model: String, ticket: UInt64?) -> QuotaSchedule.Admission {
        quota.admit(model, ticket: ticket, now: clock.now())
    }

    /// Until the next quota event (an answer, a refusal, a scene leaving the line), for a scene waiting
    /// while another learns when a window ends.
    package func waitForQuotaChange() async throws(CancellationError) {
        try await waitForWake()
    }

    /// A 2xx from `model`.
    package func quotaSucceeded(_ model: String) {
        quota.succeeded(model, now: clock.now())
        wake()
    }

    /// A per-minute 429 from `model`, with `RetryInfo`'s delay when it gave one.
    package func quotaRefused(_ model: String, retryDelay: Double?) {
        quota.refused(model, retryDelay: retryDelay, now: clock.now())
        wake()
    }

    /// A request to `model` ended without telling anything about its quota.
    package func unanswered(_ model: String) {
        quota.teacherDone(model)
        wake()
    }

    package func leaveQuotaLine(_ model: String, ticket: UInt64) {
        quota.leave(model, ticket: ticket)
        wake()
    }

    /// The learnt per-minute limit and window of `model`.
    package func learntQuota(_ model: String) -> (limit: Int?, window: Double?) {
        quota.learnt(model)
    }

    package var disabled: FallbackReason? { admission.health.providerDisabled }

    /// What limits Gemini now, in plain words.
    /// Models of the chains the API does not list for these credentials (contract §11): left out, with
    /// no request, until a later listing has them.
    package private(set) var unlisted: Set<String> = []

    /// Takes a new listing's verdict; returns the models newly left out and those back in.
    package func setUnlisted(_ models: Set<String>) -> (leftOut: [String], back: [String]) {
        defer { unlisted = models }
        return (models.subtracting(unlisted).sorted(), unlisted.subtracting(models).sorted())
    }

    package func conditions(wallNow: Double) -> [String] {
        unlisted.sorted().map { "\($0) is left out of the chains: the API does not list it for these credentials" }
            + admission.conditions(now: clock.now(), wallNow: wallNow) + quota.describe(now: clock.now())
    }

    package func probeVerdict(
        _ answer: APIAnswer,
        model: String,
        message: String?,
        wallNow: Double
    ) -> (change: ModelAdmission.GateChange, newlyDisabled: Bool) {
        defer { wake() }
        return admission.probeVerdict(answer, model: model, message: message, now: clock.now(), wallNow: wallNow)
    }

    package func abandonProbe() {
        admission.abandonProbe()
        wake()
    }

    package func markUnreachable(_ message: String) -> ModelAdmission.GateChange {
        defer { wake() }
        return admission.markUnreachable(message, now: clock.now())
    }

    package func apply(
        _ scope: RetryPolicy.Scope,
        reason: FallbackReason,
        model: String,
        message: String,
        wallNow: Double
    ) -> Bool {
        admission.apply(scope, reason: reason, model: model, message: message, wallNow: wallNow)
    }

    private func waitForVerdict() async throws(CancellationError) {
        try await waitForWake(unless: { !$0.isProbing })
    }

    /// Until the next `wake()` (or at once when `ready` already holds, or the task is cancelled).
    private func waitForWake(unless ready: (ModelAdmission) -> Bool = { _ in false }) async throws(CancellationError) {
        nextWaiter += 1
        let id = nextWaiter
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled || ready(admission) {
                    continuation.resume()
                } else {
                    probeWaiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
        if Task.isCancelled { throw CancellationError() }
    }

    private func cancelWaiter(_ id: UInt64) {
        probeWaiters.removeValue(forKey: id)?.resume()
    }

    private func wake() {
        let waiters = probeWaiters.values
        probeWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }
}
