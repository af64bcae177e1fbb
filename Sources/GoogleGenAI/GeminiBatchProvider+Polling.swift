import ImageGeneration
import Imaging
import Logging
import Spend
import SystemSupport

/// Waiting for a batch session's jobs, and what their answers come to.
extension GeminiBatchProvider {
    enum PollEnd: Equatable {
        case done
        /// A newer drop of the session wrote its own record: this one publishes nothing.
        case superseded
    }

    /// Polls every job still going, with the policy's growing waits, until each is final or the
    /// deadline cancels it. Every state change is written to the record and logged.
    func poll(_ run: inout BatchRun, phases: ProviderPhases) async throws(CancellationError) -> PollEnd {
        var polls = 0
        var failing = false
        while true {
            // Jobs with answers still to read: running ones, and final ones not read yet (a job that
            // was done at once, or finished while the daemon was down).
            let open = run.record.jobs.indices.filter { index in
                run.record.jobs[index].name != nil && Self.isFollowed(run.record.jobs[index].state)
                    && !run.collected.contains(index)
            }
            if open.isEmpty { return .done }
            let running = open.filter { !BatchJob.State(wire: run.record.jobs[$0].state).isFinal }
            let left = run.record.submitted + batchPolicy.deadline - now()
            if left <= 0, !running.isEmpty {
                guard await expire(&run, jobs: running) else { return .superseded }
                continue
            }
            if polls == 0 { for index in open { report(run, job: index) } }
            if !running.isEmpty {
                guard await clock.pause(min(batchPolicy.pollDelay(afterPolls: polls), left)) else {
                    throw CancellationError()
                }
            }
            polls += 1
            if await isSuperseded(run) { return .superseded }
            for index in open {
                guard let name = run.record.jobs[index].name else { continue }
                switch await client.batch(named: name) {
                case .job(let job):
                    failing = false
                    if job.state.description != run.record.jobs[index].state {
                        if job.state == .cancelled, await isSuperseded(run) { return .superseded }
                        logger.info(
                            "batch job state changed",
                            metadata: [
                                "scenedrop.session": "\(run.batch.session)", "scenedrop.batch_job": "\(name)",
                                "scenedrop.batch_state": "\(job.state)",
                                "scenedrop.age_s": "\(Int(saturating: now() - run.record.submitted))",
                            ]
                        )
                        guard await update(&run, job: index, name: nil, state: job.state.description) else {
                            return .superseded
                        }
                        report(run, job: index)
                    }
                    if job.state.isFinal { await collect(job, &run, index: index, phases: phases) }
                case .failure(let failure):
                    if let gone = Self.jobGone(failure) {
                        let message =
                            "batch job \(name) can no longer be read: " + client.key.scrub(Self.describe(failure))
                        guard await update(&run, job: index, name: nil, state: gone) else { return .superseded }
                        settle(
                            &run,
                            scenes: run.record.jobs[index].scenes,
                            reason: .batchFailed,
                            message: message,
                            attempts: 1
                        )
                    } else if !failing {
                        failing = true
                        logger.warning(
                            "batch job could not be polled; trying again",
                            metadata: [
                                "scenedrop.batch_job": "\(name)",
                                "error.message": "\(client.key.scrub(Self.describe(failure)))",
                            ]
                        )
                    }
                }
            }
        }
    }

    /// Whether the API still has something to say about a job in this recorded state: not for one
    /// never submitted, gone, refused, or cancelled here at the deadline.
    static func isFollowed(_ state: String) -> Bool {
        !["SUBMITTING", "NOT_SUBMITTED", "NOT_FOUND", "REFUSED", "DEADLINE_PASSED"].contains(state)
    }

    /// Tells each scene of a job where the job stands (the web view shows it).
    func report(_ run: BatchRun, job index: Int) {
        let job = run.record.jobs[index]
        for scene in job.scenes { run.progress(scene, .batched(job: job.name ?? job.displayName, state: job.state)) }
    }

    /// A poll failure after which the job cannot be followed (it is gone, or the key no longer
    /// reaches it): the state to record, or nil for a passing failure worth another look.
    static func jobGone(_ failure: RetryPolicy.Failure) -> String? {
        guard case .http(let status, _, _, _, _) = failure else { return nil }
        switch status {
        case 404: return "NOT_FOUND"
        case 400, 401, 403: return "REFUSED"
        default: return nil
        }
    }

    /// A newer drop wrote its own record.
    func isSuperseded(_ run: BatchRun) async -> Bool {
        let (store, record) = (run.store, run.record)
        return await WorkerThreads.io.run { store.isReplaced(record) }
    }

    /// `--batch-deadline` passed: the jobs still going are cancelled and their scenes fall back.
    /// False when a newer drop replaced the session meanwhile.
    func expire(_ run: inout BatchRun, jobs: [Int]) async -> Bool {
        for index in jobs {
            guard let name = run.record.jobs[index].name else { continue }
            let failure = await client.cancelBatch(named: name)
            logger.warning(
                "batch job passed --batch-deadline: cancelled, its scenes fall back",
                metadata: [
                    "scenedrop.session": "\(run.batch.session)", "scenedrop.batch_job": "\(name)",
                    "scenedrop.deadline_s": "\(batchPolicy.deadline)",
                    "error.message": "\(failure.map { client.key.scrub(Self.describe($0)) } ?? "none")",
                ]
            )
            guard await update(&run, job: index, name: nil, state: "DEADLINE_PASSED") else { return false }
            let message =
                "batch job \(name) did not finish within --batch-deadline (\(Int(saturating: batchPolicy.deadline)) s) and was cancelled"
            settle(&run, scenes: run.record.jobs[index].scenes, reason: .batchExpired, message: message, attempts: 1)
        }
        return true
    }

    /// A final job's answers, scene by scene: matched by key, or by position where the API did not
    /// echo the keys ("in the same order as the input requests"). Only the first answer per key counts.
    func collect(_ job: BatchJob, _ run: inout BatchRun, index: Int, phases: ProviderPhases) async {
        run.collected.insert(index)
        let scenes = run.record.jobs[index].scenes
        switch job.state {
        case .succeeded:
            var answers: [Int: APIAnswer] = [:]
            for (offset, response) in job.responses.enumerated() {
                guard
                    let scene = response.key.flatMap(Self.scene(fromBatchKey:))
                        ?? (offset < scenes.count ? scenes[offset] : nil),
                    answers[scene] == nil
                else { continue }
                answers[scene] = response.answer
            }
            for scene in scenes {
                guard let answer = answers[scene] else {
                    settle(
                        &run,
                        scenes: [scene],
                        reason: .batchFailed,
                        message: "batch job \(job.name) succeeded without an answer for scene \(scene)",
                        attempts: 1
                    )
                    continue
                }
                await take(answer, scene: scene, job: job.name, &run, phases: phases)
            }
        case .expired:
            settle(
                &run,
                scenes: scenes,
                reason: .batchExpired,
                message: "batch job \(job.name) expired before it ran (BATCH_STATE_EXPIRED)",
                attempts: 1
            )
        default:
            let detail = job.error.map { ": " + client.key.scrub($0) } ?? ""
            settle(
                &run,
                scenes: scenes,
                reason: .batchFailed,
                message: "batch job \(job.name) ended \(job.state)\(detail)",
                attempts: 1
            )
        }
    }

    /// One scene's answer: a checked, sized image (recorded in the ledger at the batch price and
    /// cached), a safety block (final), or a failure that sends the scene the interactive way.
    func take(
        _ answer: APIAnswer,
        scene number: Int,
        job: String,
        _ run: inout BatchRun,
        phases: ProviderPhases
    ) async {
        guard let scene = run.scenes[number] else { return }
        switch answer {
        case .image(let bytes, let mimeType, _):
            let request = scene.request
            let (width, height, format, limit) = (
                request.width, request.height, request.format, catalog.answerPixelLimit
            )
            let sized = await phases.cpu {
                Result { () throws(ImagingError) in
                    try ImageResizer.cover(bytes, width: width, height: height, format: format, maxPixels: limit)
                }
            }
            if let price = run.price {
                let entry = BatchCharges(run.record).entry(scene: number, price: price, time: WallClock.rfc3339(now()))
                await budget?.chargeBatch(entry)
                run.charged.insert(number)
            }
            switch sized {
            case .success(let image):
                if let cache {
                    let step = ModelPlan.Step(
                        model: run.record.model,
                        imageSize: run.record.imageSize,
                        pricePerImage: nil
                    )
                    let key = models.cacheKey(step, prompt: scene.prompt, request: request)
                    await WorkerThreads.io.run { cache.store(image, for: key) }
                }
                let provided = ProviderImage(
                    bytes: image,
                    format: format.imageFormat,
                    width: width,
                    height: height,
                    model: run.record.model,
                    imageSize: run.record.imageSize,
                    costUSD: run.price ?? 0,
                    cacheHit: false,
                    attempts: 1,
                    enhancedPrompt: scene.prompt
                )
                run.results[number] = .image(
                    ProviderResult(
                        image: provided,
                        tried: run.skipped,
                        firstFailure: run.skipped.isEmpty ? nil : .modelNotFound
                    )
                )
            case .failure(let error):
                let message = "batch job \(job) sent an unusable image (\(mimeType ?? "no type")): \(error.message)"
                settle(&run, scenes: [number], reason: .invalidImage, message: message, attempts: 1)
            }
        case .noImage(let reason, let message):
            let final = reason == .safetyBlocked
            settle(
                &run,
                scenes: [number],
                reason: final ? reason : .batchFailed,
                message: "batch job \(job): \(message)",
                attempts: 1,
                final: final
            )
        case .failure(let failure):
            settle(
                &run,
                scenes: [number],
                reason: .batchFailed,
                message: "batch job \(job): " + client.key.scrub(Self.describe(failure)),
                attempts: 1
            )
        }
    }
}
