import Imaging
import Logging
import SceneManifest
import Spend
import SystemSupport

extension ModelProvider {
    /// One scene's way through one model: its requests, the per-minute 429s among them (which do not
    /// count against `--retries`), its `--rpm` turn and its place in the model's quota line.
    struct AttemptState {
        var attempts = 0
        var quotaRefusals = 0
        var holdsTurn = false
        var ticket: UInt64?
        /// When this scene first had to wait for quota (monotonic): `--quota-wait` counts from here.
        var waitingSince: Double?
        /// When it first had to wait for the coordinator: `--coordinator-wait` counts from here.
        var coordinatorWaitSince: Double?
        /// When it first found the cost ledger unwritable (with a budget): `--coordinator-wait` counts from here too.
        var ledgerWaitSince: Double?
    }

    /// One model of the plan: one admission decision per request (quota line, rate turn, key probe,
    /// budget, retirement), then the request and, for an image, its check and resize.
    func attempt(
        _ step: ModelPlan.Step,
        prompt: String,
        request: ImageRequest,
        phases: ProviderPhases
    ) async -> StepOutcome {
        var progress = AttemptState()
        let outcome = await attempt(step, prompt: prompt, request: request, phases: phases, &progress)
        // Whatever the outcome, this scene no longer holds a place in the line.
        if let ticket = progress.ticket { await state.leaveQuotaLine(step.model, ticket: ticket) }
        return outcome
    }

    private func attempt(
        _ step: ModelPlan.Step,
        prompt: String,
        request: ImageRequest,
        phases: ProviderPhases,
        _ progress: inout AttemptState
    ) async -> StepOutcome {
        let body = APIRequest(
            model: step.model,
            prompt: prompt,
            aspectRatio: request.aspectRatio.description,
            imageSize: step.imageSize,
            timeout: tableDeadlines ? step.timeout.map { .milliseconds(Int(saturating: $0 * 1000)) } : nil,
            quality: step.quality
        )
        while true {
            let ask = ModelAdmission.Ask(
                model: step.model,
                holdsTurn: progress.holdsTurn,
                spentToday: await budget?.spentTodayIfDeciding(),
                dailyBudget: budget?.dailyUSD
            )
            guard let decision = try? await state.admit(ask, wallNow: now()) else {
                return .cancelled(attempts: progress.attempts)
            }
            switch decision {
            case .fallBack(let reason, let message, let stopHere):
                return .failed(reason, message: message, attempts: progress.attempts, stopHere: stopHere)
            case .wait(let until, let holds):
                progress.holdsTurn = holds
                phases.progress(.waiting(model: step.model, untilWall: now() + max(0, until - clock.now())))
                guard (try? await clock.sleep(until: until)) != nil else {
                    return .cancelled(attempts: progress.attempts)
                }
                continue
            case .awaitProbe:
                continue
            case .probe:
                // Decide again after a verdict that leaves work to do: the probe may have found this model
                // missing (404) while others waited for it.
                if let stop = await probeForEveryone(step.model, phases: phases, attempts: progress.attempts) {
                    return stop
                }
                continue
            case .send:
                progress.holdsTurn = false
            }
            let ticket = progress.ticket
            let exchange: (answer: Sent, processed: Result<[UInt8], ImagingError>?)
            do {
                let paid = step.pricePerImage.map { (price: $0, step: step, request: request, id: CostLedger.newID()) }
                exchange = try await phases.request({
                    await send(
                        step.model,
                        body: body,
                        ticket: ticket,
                        attempt: progress.attempts + 1,
                        paid: paid,
                        phases: phases
                    )
                }) { sent in
                    guard case .answer(.image(let bytes, _, _)) = sent else { return nil }
                    let (width, height, format, limit) = (
                        request.width, request.height, request.format, catalog.answerPixelLimit
                    )
                    // cover decodes every pixel (refusing a truncated or corrupt image, and one whose header declares
                    // more pixels than any model answers with, undecoded) before it scales.
                    return {
                        Result { () throws(ImagingError) in
                            try ImageResizer.cover(
                                bytes,
                                width: width,
                                height: height,
                                format: format,
                                maxPixels: limit
                            )
                        }
                    }
                }
            } catch {
                return .cancelled(attempts: progress.attempts)
            }
            let answer: APIAnswer
            switch exchange.answer {
            case .queued(let until, let ticket):
                progress.ticket = ticket
                if let stop = await waitForQuota(step.model, until: until, phases: phases, &progress) { return stop }
                continue
            case .refused(.granted):
                continue
            case .refused(.exceeded(let message)):
                return .failed(.budgetExceeded, message: message, attempts: progress.attempts, stopHere: true)
            case .refused(.unavailable(let message)):
                if let stop = await waitForCoordinator(
                    message,
                    model: step.model,
                    request: request,
                    phases: phases,
                    &progress
                ) {
                    return stop
                }
                continue
            case .refused(.unrecorded(let message)):
                if let stop = await waitForLedger(message, model: step.model, phases: phases, &progress) { return stop }
                continue
            case .answer(let answered):
                answer = answered
                progress.attempts += 1
            }
            if let stop = await outcome(
                of: answer,
                processed: exchange.processed,
                step: step,
                prompt: prompt,
                request: request,
                &progress
            ) {
                return stop
            }
        }
    }

    /// What an answer means for the scene; nil: ask again (a retry, or back in the quota line).
    func outcome(
        of answer: APIAnswer,
        processed: Result<[UInt8], ImagingError>?,
        step: ModelPlan.Step,
        prompt: String,
        request: ImageRequest,
        _ progress: inout AttemptState
    ) async -> StepOutcome? {
        switch answer {
        case .image(_, let mimeType, let usage):
            return await checked(
                processed,
                claimed: mimeType,
                usage: usage,
                step: step,
                prompt: prompt,
                request: request,
                attempts: progress.attempts
            )
        case .noImage(let reason, let message):
            // 200 answers are final: a safety block goes straight to the placeholder.
            return .failed(reason, message: message, attempts: progress.attempts, stopHere: reason == .safetyBlocked)
        case .failure(.http(429, _, let retryDelay, false, _)):
            // Not this scene's failure: back in line (its place kept) until the window the API named ends.
            progress.quotaRefusals += 1
            progress.waitingSince = progress.waitingSince ?? clock.now()
            if let over = retryBeyondQuotaWait(retryDelay, model: step.model, progress) { return over }
            return quotaWaitOver(progress)
        case .failure(let failure):
            return await afterFailure(failure, model: step.model, attempts: progress.attempts - progress.quotaRefusals)
        }
    }

    /// What a permit's holder got: an answer, or a place in the quota line and until when to wait
    /// (`nil`: until another scene's request shows when the window ends).
    enum Sent: Sendable {
        case answer(APIAnswer)
        case queued(until: Double?, ticket: UInt64)
        /// The budget gate did not let the request go: nothing was sent.
        case refused(BudgetDecision)
    }

    /// Inside the network phase: the quota line's word, then, when it lets this scene out, the request.
    /// What an image answer costs and for which scene, for the ledger.
    /// `id`: the charge's id, the reservation's when the coordinator keeps the budget.
    typealias Paid = (price: Double, step: ModelPlan.Step, request: ImageRequest, id: String)

    func send(
        _ model: String,
        body: APIRequest,
        ticket: UInt64?,
        attempt: Int,
        paid: Paid?,
        phases: ProviderPhases
    ) async -> Sent {
        switch await state.admitQuota(model, ticket: ticket) {
        case .wait(let until, let ticket):
            return .queued(until: until, ticket: ticket)
        case .awaitWindow(let ticket):
            return .queued(until: nil, ticket: ticket)
        case .send:
            break
        }
        // The budget decides now that the permit and the quota line let the request go: this is the
        // one place a paid request is held against it, and its charge written to the ledger.
        var charged: CostLedger.Entry?
        if let paid, let budget {
            let entry = charge(paid)
            switch await budget.reserve(entry) {
            case .granted: charged = entry
            case let refusal:
                await state.unanswered(model)
                return .refused(refusal)
            }
        }
        phases.progress(.requesting(model: model, attempt: attempt))
        return .answer(
            await timedRequest(model, body: body, charged: charged, tokenPrices: paid?.step.tokenPrices, phases: phases)
        )
    }

    /// The cost ledger cannot be written. Without a budget the scene falls back at once (`ledger_unwritable`):
    /// nothing can be paid for unrecorded. With one it waits, looking again every few seconds, for at most
    /// `--coordinator-wait` from its first look, like a scene whose budget's coordinator is down; then
    /// `budget_unavailable` (nil: look again).
    func waitForLedger(
        _ message: String,
        model: String,
        phases: ProviderPhases,
        _ progress: inout AttemptState
    ) async -> StepOutcome? {
        guard budget?.dailyUSD != nil else {
            return .failed(.ledgerUnwritable, message: message, attempts: progress.attempts, stopHere: true)
        }
        let since = progress.ledgerWaitSince ?? clock.now()
        progress.ledgerWaitSince = since
        let left = since + coordinatorWait - clock.now()
        guard left > 0 else {
            return .failed(
                .budgetUnavailable,
                message:
                    "\(message); waited \(Int(saturating: coordinatorWait)) s (--coordinator-wait), and a budget cannot be kept without it",
                attempts: progress.attempts,
                stopHere: true
            )
        }
        let pause = min(left, 5)
        phases.progress(.waiting(model: model, untilWall: now() + pause))
        guard (try? await clock.sleep(until: clock.now() + pause)) != nil else {
            return .cancelled(attempts: progress.attempts)
        }
        return nil
    }

    /// The ledger line (and the coordinator's row) of a paid request.
    func charge(_ paid: Paid) -> CostLedger.Entry {
        CostLedger.Entry(
            id: paid.id,
            time: WallClock.rfc3339(now()),
            model: paid.step.model,
            imageSize: paid.step.imageSize,
            costUSD: paid.price,
            session: paid.request.session,
            scene: paid.request.sceneNumber
        )
    }

    /// Waits for the coordinator, at most `--coordinator-wait` from the scene's first wait for it;
    /// then the scene falls back with `budget_unavailable` (nil: it answers again, ask again).
    func waitForCoordinator(
        _ message: String,
        model: String,
        request: ImageRequest,
        phases: ProviderPhases,
        _ progress: inout AttemptState
    ) async -> StepOutcome? {
        let since = progress.coordinatorWaitSince ?? clock.now()
        if progress.coordinatorWaitSince == nil {
            logger.info(
                "paid request waits for the coordinator",
                metadata: [
                    "scenedrop.session": "\(request.session)", "scenedrop.scene": "\(request.sceneNumber)",
                    "scenedrop.wait_s": "\(Int(saturating: coordinatorWait))", "error.message": "\(message)",
                ]
            )
        }
        progress.coordinatorWaitSince = since
        let left = since + coordinatorWait - clock.now()
        if left > 0, let budget {
            phases.progress(.waiting(model: model, untilWall: now() + left))
            if await budget.waitUntilAvailable(seconds: left) { return nil }
            if Task.isCancelled { return .cancelled(attempts: progress.attempts) }
        }
        return .failed(
            .budgetUnavailable,
            message:
                "\(message); waited \(Int(saturating: coordinatorWait)) s (--coordinator-wait) without it, and a budget cannot be kept without it",
            attempts: progress.attempts,
            stopHere: true
        )
    }

    /// Waits in the quota line until `until` (a window's end) or another scene's answer, at most until
    /// `--quota-wait` is over. Returns the outcome when the scene must stop waiting.
    func waitForQuota(
        _ model: String,
        until: Double?,
        phases: ProviderPhases,
        _ progress: inout AttemptState
    ) async -> StepOutcome? {
        let since = progress.waitingSince ?? clock.now()
        progress.waitingSince = since
        if let stop = quotaWaitOver(progress) { return stop }
        guard let until else {
            guard (try? await state.waitForQuotaChange()) != nil else { return .cancelled(attempts: progress.attempts) }
            return nil
        }
        if let over = retryBeyondQuotaWait(until - clock.now(), model: model, progress) { return over }
        let wake = min(until, since + quotaWait)
        phases.progress(.waiting(model: model, untilWall: now() + max(0, wake - clock.now())))
        guard (try? await clock.sleep(until: wake)) != nil else { return .cancelled(attempts: progress.attempts) }
        return nil
    }

    /// `rate_limited` at once when the API asks for a wait longer than what is left of `--quota-wait`: it has said
    /// that nothing will change in time, so waiting out the rest (on each model of the chain) only holds the
    /// session. Logged once with the delay the API asked for.
    func retryBeyondQuotaWait(_ retryDelay: Double?, model: String, _ progress: AttemptState) -> StepOutcome? {
        guard let retryDelay, let since = progress.waitingSince else { return nil }
        let left = max(0, quotaWait - (clock.now() - since))
        guard retryDelay > left else { return nil }
        logger.notice(
            "the API asks for a wait beyond --quota-wait; moving on",
            metadata: [
                "scenedrop.model": "\(model)", "scenedrop.retry_in_s": "\(retryDelay)",
                "scenedrop.quota_wait_left_s": "\(Int(saturating: left))",
            ]
        )
        return .failed(
            .rateLimited,
            message:
                "the API asked to retry in \(Int(saturating: retryDelay)) s, more than the \(Int(saturating: left)) s left of --quota-wait (\(Int(saturating: quotaWait)) s)",
            attempts: progress.attempts,
            stopHere: false
        )
    }

    /// `rate_limited` once the scene has waited `--quota-wait` for quota.
    func quotaWaitOver(_ progress: AttemptState) -> StepOutcome? {
        guard let since = progress.waitingSince, clock.now() - since >= quotaWait else { return nil }
        return .failed(
            .rateLimited,
            message:
                "still over the model's per-minute quota after waiting \(Int(saturating: quotaWait)) s (--quota-wait)",
            attempts: progress.attempts,
            stopHere: false
        )
    }

    /// One generateContent request, its latency and status class reported as progress, and what it
    /// shows of the model's quota recorded before the permit is given back: answers that come back
    /// at once (429s do) must not let more requests out than the quota learnt from them allows.
    /// An image answer's charge is settled here, while the permit is still held: the API charges for
    /// an image it sent, usable or not, and a request that takes the permit next must see the spend.
    /// `charged`: the charge the budget gate held for this request; released when no image came.
    func timedRequest(
        _ model: String,
        body: APIRequest,
        charged: CostLedger.Entry?,
        tokenPrices: ModelSpec.TokenPrices?,
        phases: ProviderPhases
    ) async -> APIAnswer {
        let started = clock.now()
        let answer = await api.generate(body)
        phases.progress(.answered(model: model, statusClass: answer.statusClass, seconds: clock.now() - started))
        if let charged, let budget {
            switch answer {
            case .image(_, _, let usage):
                // What the answer reports it used, at the table's token prices; the flat price otherwise.
                let cost = usage.flatMap { usage in tokenPrices.map { $0.cost(of: usage) } } ?? charged.costUSD
                await budget.settle(charged, costUSD: cost, possiblyBilled: false)
            case .failure(.timeout):
                // The API does not stop work it was asked for when the client gives up: it may bill it.
                await budget.settle(charged, costUSD: charged.costUSD, possiblyBilled: true)
            default:
                await budget.release(charged)
            }
        }
        switch answer {
        case .image, .noImage:
            await state.quotaSucceeded(model)
        case .failure(.http(429, _, let retryDelay, false, _)):
            await state.quotaRefused(model, retryDelay: retryDelay)
            let learnt = await state.learntQuota(model)
            logger.info(
                "per-minute quota reached; scenes wait in line for the next window",
                metadata: [
                    "scenedrop.model": "\(model)",
                    "scenedrop.retry_in_s": "\(retryDelay.map { String($0) } ?? "unknown")",
                    "scenedrop.limit_per_window": "\(learnt.limit.map(String.init) ?? "unknown")",
                    "scenedrop.window_s": "\(learnt.window.map { String($0) } ?? "learning")",
                ]
            )
        case .failure:
            await state.unanswered(model)
        }
        return answer
    }
}
