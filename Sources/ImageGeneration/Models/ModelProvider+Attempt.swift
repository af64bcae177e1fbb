import Imaging
import Logging
import SceneManifest
import Spend
import SystemSupport

extension ModelProvider {
    /// One model of the plan: `AttemptMachine` decides, this drives it — one admission decision per request
    /// (quota line, rate turn, key probe, budget, retirement), then the request and, for an image, its
    /// check and resize.
    func attempt(
        _ step: ModelPlan.Step,
        prompt: String,
        request: ImageRequest,
        phases: ProviderPhases
    ) async -> StepOutcome {
        var machine = AttemptMachine(
            policy: policy,
            quotaWait: quotaWait,
            coordinatorWait: coordinatorWait,
            hasBudget: budget?.dailyUSD != nil
        )
        let outcome = await drive(&machine, step, prompt: prompt, request: request, phases: phases)
        // Whatever the outcome, this scene no longer holds a place in the line.
        if let ticket = machine.ticket { await state.leaveQuotaLine(step.model, ticket: ticket) }
        return outcome
    }

    private func drive(
        _ machine: inout AttemptMachine,
        _ step: ModelPlan.Step,
        prompt: String,
        request: ImageRequest,
        phases: ProviderPhases
    ) async -> StepOutcome {
        var body = APIRequest(
            model: step.model,
            prompt: prompt,
            aspectRatio: request.aspectRatio.description,
            imageSize: step.imageSize,
            timeout: tableDeadlines ? step.timeout.map { .milliseconds(Int(saturating: $0 * 1000)) } : nil,
            quality: step.quality
        )
        body.references = request.references.map(\.image)
        var processed: Result<[UInt8], ImagingError>?
        var action = machine.start()
        while true {
            switch action {
            case .admit(let holdsTurn):
                let ask = ModelAdmission.Ask(
                    model: step.model,
                    holdsTurn: holdsTurn,
                    spentToday: await budget?.spentTodayIfDeciding(),
                    dailyBudget: budget?.dailyUSD
                )
                guard let decision = try? await state.admit(ask, wallNow: now()) else {
                    return .cancelled(attempts: machine.attempts)
                }
                action = machine.admitted(decision, now: clock.now())
            case .sleep(let until, let shown):
                if shown {
                    phases.progress(.waiting(model: step.model, untilWall: now() + max(0, until - clock.now())))
                }
                guard (try? await clock.sleep(until: until)) != nil else {
                    return .cancelled(attempts: machine.attempts)
                }
                action = machine.woke()
            case .probe:
                action = machine.probed(
                    await probeForEveryone(step.model, phases: phases, attempts: machine.attempts).map(\.machineOutcome)
                )
            case .send(let ticket, let attempt):
                let exchange: (answer: Sent, processed: Result<[UInt8], ImagingError>?)
                do {
                    exchange = try await requestPhase(
                        step,
                        body: body,
                        ticket: ticket,
                        attempt: attempt,
                        for: request,
                        phases
                    )
                } catch {
                    return .cancelled(attempts: machine.attempts)
                }
                processed = exchange.processed
                action = machine.sent(exchange.answer, now: clock.now(), random: Double.random(in: 0..<1))
            case .waitForQuotaChange:
                guard (try? await state.waitForQuotaChange()) != nil else {
                    return .cancelled(attempts: machine.attempts)
                }
                action = machine.woke()
            case .waitForCoordinator(let message, let seconds, let firstTime):
                if firstTime {
                    logger.info(
                        "paid request waits for the coordinator",
                        metadata: [
                            "scenedrop.session": "\(request.session)", "scenedrop.scene": "\(request.sceneNumber)",
                            "scenedrop.wait_s": "\(Int(saturating: coordinatorWait))", "error.message": "\(message)",
                        ]
                    )
                }
                phases.progress(.waiting(model: step.model, untilWall: now() + seconds))
                let available = await budget?.waitUntilAvailable(seconds: seconds) ?? false
                action = machine.coordinatorWaited(message, available: available, cancelled: Task.isCancelled)
            case .checkImage(let mimeType, let usage):
                return await checked(
                    processed,
                    claimed: mimeType,
                    usage: usage,
                    step: step,
                    prompt: prompt,
                    request: request,
                    attempts: machine.attempts
                )
            case .giveUp(let reason, let scope, let message, let attempts):
                await record(scope, reason: reason, model: step.model, message: message)
                // Neither another model nor another request helps with a refused key or an unreachable endpoint.
                return .failed(
                    reason,
                    message: message,
                    attempts: attempts,
                    stopHere: scope == .providerForRun || scope == .endpoint
                )
            case .moveOn(let retryDelay, let left, let outcome):
                logger.notice(
                    "the API asks for a wait beyond --quota-wait; moving on",
                    metadata: [
                        "scenedrop.model": "\(step.model)", "scenedrop.retry_in_s": "\(retryDelay)",
                        "scenedrop.quota_wait_left_s": "\(Int(saturating: left))",
                    ]
                )
                return StepOutcome(outcome)
            case .finish(let outcome):
                return StepOutcome(outcome)
            }
        }
    }

    /// The request phase: the quota line's word and the request under a `--concurrency` permit, then the
    /// image's check and resize in the CPU phase.
    private func requestPhase(
        _ step: ModelPlan.Step,
        body: APIRequest,
        ticket: UInt64?,
        attempt: Int,
        for request: ImageRequest,
        _ phases: ProviderPhases
    ) async throws -> (answer: Sent, processed: Result<[UInt8], ImagingError>?) {
        let paid = step.pricePerImage.map { (price: $0, step: step, request: request, id: CostLedger.newID()) }
        return try await phases.request({
            await send(step.model, body: body, ticket: ticket, attempt: attempt, paid: paid, phases: phases)
        }) { sent in
            guard case .answer(.image(let bytes, _, _)) = sent else { return nil }
            let (width, height, format, limit) = (
                request.width, request.height, request.format, catalog.answerPixelLimit
            )
            // cover decodes every pixel (refusing a truncated or corrupt image, and one whose header declares
            // more pixels than any model answers with, undecoded) before it scales.
            return {
                Result { () throws(ImagingError) in
                    try ImageResizer.cover(bytes, width: width, height: height, format: format, maxPixels: limit)
                }
            }
        }
    }

    /// What a permit's holder got: an answer, or a place in the quota line and until when to wait
    /// (`nil`: until another scene's request shows when the window ends).
    typealias Sent = AttemptMachine.Sent

    /// What an image answer costs and for which scene, for the ledger.
    /// `id`: the charge's id, the reservation's when the coordinator keeps the budget.
    typealias Paid = (price: Double, step: ModelPlan.Step, request: ImageRequest, id: String)

    /// Inside the network phase: the quota line's word, then, when it lets this scene out, the budget's and
    /// the request.
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
            if let refusal = AttemptMachine.BudgetRefusal(await budget.reserve(entry)) {
                await state.unanswered(model)
                return .refused(refusal)
            }
            charged = entry
        }
        phases.progress(.requesting(model: model, attempt: attempt))
        return .answer(
            await timedRequest(model, body: body, charged: charged, tokenPrices: paid?.step.tokenPrices, phases: phases)
        )
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
