import ImageGeneration
import Logging
import SceneManifest
import Spend
import SystemSupport

/// Batch mode (`"priority": "batch"`): a session's scenes go to the Gemini Batch API as one job (or a
/// few, under the inline limit) at half the price, and the session waits for them. The record of what
/// was sent is written before anything is sent, so a restarted daemon polls the same jobs again
/// instead of paying twice; a re-drop of the session with other content cancels them.
///
/// A link of the chain like any other: interactive requests go to the wrapped `ModelProvider`, whose
/// state (quota line, model health, budget, cache) the batch path shares.
package struct GeminiBatchProvider: BatchImageProvider {
    /// Gemini's models: the batch path shares their state.
    package let models: ModelProvider
    /// Where interactive requests go: every vendor's models of the chain (Gemini's alone by default).
    package let chain: ModelChain
    package let client: GeminiClient
    /// Where batch sessions' jobs are written down (`.scenedrop/batches/`).
    package var batchStore: BatchStore?
    package var batchPolicy: BatchPolicy

    package init(
        models: ModelProvider,
        chain: ModelChain? = nil,
        client: GeminiClient,
        store: BatchStore?,
        policy: BatchPolicy = BatchPolicy()
    ) {
        self.models = models
        self.chain =
            chain
            ?? ModelChain(providers: [models], catalog: models.catalog, cache: models.cache, logger: models.logger)
        self.client = client
        self.batchStore = store
        self.batchPolicy = policy
    }

    package var name: String { chain.name }
    package var isReal: Bool { models.isReal }

    package func generate(
        _ request: ImageRequest,
        phases: ProviderPhases
    ) async throws(ProviderFailure)
        -> ProviderResult
    {
        try await chain.generate(request, phases: phases)
    }

    package func conditions() async -> [String] { await chain.conditions() }

    package func refreshModels() async { await chain.refreshModels() }

    // The shared machinery the batch path uses, by the names it had when it was part of the provider.
    var state: ProviderState { models.state }
    var catalog: ModelCatalog { models.catalog }
    var policy: RetryPolicy { models.policy }
    var budget: (any BudgetGate)? { models.budget }
    var cache: ImageCache? { models.cache }
    var logger: Logger { models.logger }
    var clock: MonotonicClock { models.clock }
    var coordinatorWait: Double { models.coordinatorWait }
    var retiredModelsFile: String? { models.retiredModelsFile }
    func now() -> Double { models.now() }
    func plan(for request: ImageRequest) -> ModelPlan { models.plan(for: request) }
    static func prompt(for request: ImageRequest) -> String { ModelProvider.prompt(for: request) }
    static func describe(_ failure: RetryPolicy.Failure) -> String { ModelProvider.describe(failure) }
}

extension GeminiBatchProvider {
    /// One batch session's state while the provider works on it.
    struct BatchRun {
        struct Scene {
            var request: ImageRequest
            var prompt: String
        }

        let batch: BatchSession
        let store: BatchStore
        var record: BatchRecord
        /// The scenes sent in the batch (no cached image), by scene number.
        let scenes: [Int: Scene]
        /// Models of the plan left out before any request, as the interactive path records them.
        let skipped: [ProviderAttempt]
        /// The image price through the Batch API, nil for a model not in the table.
        let price: Double?
        /// Where each scene's progress goes.
        let progress: @Sendable (Int, SceneProgress) -> Void
        var results: [Int: BatchSceneResult] = [:]
        /// Jobs whose final answer has been read.
        var collected: Set<Int> = []
        /// Scenes whose image came back (and is charged for).
        var charged: Set<Int> = []
    }

    package func generateBatch(
        _ batch: BatchSession,
        phases: ProviderPhases,
        progress: @escaping @Sendable (Int, SceneProgress) -> Void
    ) async throws(CancellationError) -> BatchOutcome {
        guard let store = batchStore, let first = batch.requests.first, await state.disabled == nil else {
            return .scenes([:])
        }
        // The session's model is its chain's first for a scene without references; a scene whose references
        // that model cannot take is not in the batch, and goes as an interactive request down its own plan.
        var plain = first
        plain.references = []
        let plan = plan(for: plain)
        guard let step = plan.steps.first else { return .scenes([:]) }
        var results: [Int: BatchSceneResult] = [:]
        var scenes: [Int: BatchRun.Scene] = [:]
        for request in batch.requests {
            let prompt = Self.prompt(for: request)
            let own = request.references.isEmpty ? plan : self.plan(for: request)
            if let cached = await models.cached(request, prompt: prompt, plan: own, phases: phases) {
                results[request.sceneNumber] = .image(cached)
            } else if own.steps.first == step {
                scenes[request.sceneNumber] = BatchRun.Scene(request: request, prompt: prompt)
            }
        }
        guard
            var run = await startRun(
                batch,
                plan: plan,
                step: step,
                scenes: scenes,
                store: store,
                progress: progress,
                results: &results
            )
        else { return .scenes(results) }
        if try await submitUnsent(&run) == .superseded { return .superseded }
        if try await poll(&run, phases: phases) == .superseded { return .superseded }
        await releaseUncharged(run)
        return .scenes(results.merging(run.results) { cached, _ in cached })
    }

    package func batchFinished(_ batch: BatchSession) async {
        guard let store = batchStore else { return }
        await WorkerThreads.io.run { store.remove(batch.session, manifestSHA256: batch.manifestSHA256) }
    }

    /// The record to work from: the one on disk when it is for this very content (a restart), else a
    /// new one, written before any job is sent and before the jobs of a replaced drop are cancelled. Scenes
    /// the daily budget cannot pay for, even at the batch price, end here (`budget_exceeded`); nil
    /// when nothing is left to send or the record cannot be written (then the scenes go interactive).
    func startRun(
        _ batch: BatchSession,
        plan: ModelPlan,
        step: ModelPlan.Step,
        scenes: [Int: BatchRun.Scene],
        store: BatchStore,
        progress: @escaping @Sendable (Int, SceneProgress) -> Void,
        results: inout [Int: BatchSceneResult]
    ) async -> BatchRun? {
        let skipped = plan.skipped.map {
            ProviderAttempt(provider: name, model: $0.model, error: "skipped: \($0.reason)", attempts: 0)
        }
        let existing = await WorkerThreads.io.run { store.load(batch.session) }
        if let existing, existing.manifestSHA256 == batch.manifestSHA256 {
            logger.notice(
                "batch session resumed: polling the jobs already submitted",
                metadata: [
                    "scenedrop.session": "\(batch.session)",
                    "scenedrop.batch_jobs": "\(existing.jobs.compactMap(\.name).joined(separator: " "))",
                    "scenedrop.batch_states": "\(existing.jobs.map(\.state).joined(separator: " "))",
                    "scenedrop.age_s": "\(Int(saturating: now() - existing.submitted))",
                ]
            )
            let price = catalog[existing.model]?.batchPrice(size: existing.imageSize)
            return BatchRun(
                batch: batch,
                store: store,
                record: existing,
                scenes: scenes,
                skipped: skipped,
                price: price,
                progress: progress
            )
        }
        let submitted = now()
        let charges = BatchCharges(
            session: batch.session,
            manifestSHA256: batch.manifestSHA256,
            submitted: submitted,
            step: step
        )
        let numbers = await affordable(scenes.keys.sorted(), charges: charges, skipped: skipped, results: &results)
        // Nothing to send and no older drop to replace: no record needed.
        if numbers.isEmpty, existing == nil { return nil }
        let items = numbers.map { batchItem(scenes[$0]!, imageSize: step.imageSize) }
        let parts = batchPolicy.split(sizes: items.map(\.encodedSize))
        let stamp = WallClock.rfc3339(now())
        let jobs = parts.enumerated().map { index, range in
            BatchRecord.Job(
                displayName:
                    "scenedrop \(batch.session.prefix(64)) \(batch.manifestSHA256.prefix(12)) \(index + 1)/\(parts.count)",
                name: nil,
                scenes: Array(numbers[range]),
                state: "SUBMITTING",
                updatedAt: stamp
            )
        }
        let record = BatchRecord(
            session: batch.session,
            manifestSHA256: batch.manifestSHA256,
            model: step.model,
            imageSize: step.imageSize,
            submitted: submitted,
            jobs: jobs
        )
        do {
            try await WorkerThreads.io.run { () throws(SystemError) in try store.save(record) }
        } catch {
            logger.error(
                "batch record could not be written; the session's scenes go as interactive requests",
                metadata: [
                    "scenedrop.session": "\(batch.session)", "error.message": "\(error.description)",
                ]
            )
            return nil
        }
        // Only now, with the new record in place: a waiter of the old drop that sees its job cancelled
        // must find it replaced, never take the cancel for a failure and generate the old drop anyway.
        if let existing { await cancelReplaced(existing) }
        guard !numbers.isEmpty else { return nil }
        let kept = scenes.filter { numbers.contains($0.key) }
        return BatchRun(
            batch: batch,
            store: store,
            record: record,
            scenes: kept,
            skipped: skipped,
            price: step.batchPricePerImage,
            progress: progress
        )
    }

    /// The request for one scene, keyed so its answer finds its way back.
    func batchItem(_ scene: BatchRun.Scene, imageSize: String?) -> BatchRequestBody.Item {
        BatchRequestBody.Item(
            key: Self.batchKey(scene.request.sceneNumber),
            request: GeminiRequestBody(
                prompt: scene.prompt,
                aspectRatio: scene.request.aspectRatio.description,
                imageSize: imageSize,
                references: scene.request.references.map(\.image)
            )
        )
    }

    static func batchKey(_ scene: Int) -> String { "scene-\(scene)" }

    static func scene(fromBatchKey key: String) -> Int? {
        key.hasPrefix("scene-") ? Int(key.dropFirst("scene-".count)) : nil
    }

    /// Cancels the jobs of a replaced drop that may still run (the API stops charging for what it has
    /// not done); a refusal is logged and changes nothing here.
    func cancelReplaced(_ old: BatchRecord) async {
        for job in old.jobs {
            guard let name = job.name, !BatchJob.State(wire: job.state).isFinal else { continue }
            let failure = await client.cancelBatch(named: name)
            logger.notice(
                "batch job cancelled: the session was dropped again with other content",
                metadata: [
                    "scenedrop.session": "\(old.session)", "scenedrop.batch_job": "\(name)",
                    "error.message": "\(failure.map { client.key.scrub(Self.describe($0)) } ?? "none")",
                ]
            )
        }
    }

    /// Sends every job that has no name yet. A job recorded as being submitted when the daemon stopped
    /// may exist already: it is looked for by its display name first, so it is never sent twice.
    func submitUnsent(_ run: inout BatchRun) async throws(CancellationError) -> PollEnd {
        for index in run.record.jobs.indices
        where run.record.jobs[index].name == nil && run.record.jobs[index].state == "SUBMITTING" {
            let job = run.record.jobs[index]
            if case .found(let found) = await client.findBatch(displayName: job.displayName) {
                logger.notice(
                    "batch job found again after a restart",
                    metadata: ["scenedrop.session": "\(run.batch.session)", "scenedrop.batch_job": "\(found)"]
                )
                guard await update(&run, job: index, name: found, state: "BATCH_STATE_PENDING") else {
                    return .superseded
                }
                continue
            }
            let items = job.scenes.compactMap { run.scenes[$0] }.map { batchItem($0, imageSize: run.record.imageSize) }
            let body = BatchRequestBody(displayName: job.displayName, items: items)
            var attempts = 0
            while true {
                attempts += 1
                switch await client.createBatch(model: run.record.model, body: body) {
                case .job(let created):
                    logger.notice(
                        "batch job submitted",
                        metadata: [
                            "scenedrop.session": "\(run.batch.session)", "scenedrop.batch_job": "\(created.name)",
                            "scenedrop.model": "\(run.record.model)", "scenedrop.scenes": "\(job.scenes.count)",
                        ]
                    )
                    guard await update(&run, job: index, name: created.name, state: created.state.description) else {
                        // A newer drop took the session while this job was being created: it is not wanted.
                        _ = await client.cancelBatch(named: created.name)
                        return .superseded
                    }
                case .failure(.cancelled):
                    throw CancellationError()
                case .failure(let failure):
                    if case .retry(let delay) = policy.decide(
                        failure,
                        attempts: attempts,
                        random: Double.random(in: 0..<1)
                    ) {
                        guard await clock.pause(delay) else { throw CancellationError() }
                        continue
                    }
                    let message = "the batch job could not be submitted: " + client.key.scrub(Self.describe(failure))
                    logger.warning(
                        "batch job not submitted; its scenes go as interactive requests",
                        metadata: [
                            "scenedrop.session": "\(run.batch.session)", "error.message": "\(message)",
                        ]
                    )
                    guard await update(&run, job: index, name: nil, state: "NOT_SUBMITTED") else { return .superseded }
                    settle(&run, scenes: job.scenes, reason: .batchFailed, message: message, attempts: attempts)
                }
                break
            }
        }
        return .done
    }

    /// Records a job's name and state, on disk before anything else happens. False when a newer
    /// drop's record replaced this one: nothing is written, and the caller stops.
    @discardableResult
    func update(_ run: inout BatchRun, job index: Int, name: String?, state: String) async -> Bool {
        run.record.jobs[index].name = name ?? run.record.jobs[index].name
        run.record.jobs[index].state = state
        run.record.jobs[index].updatedAt = WallClock.rfc3339(now())
        let (store, record) = (run.store, run.record)
        do {
            return try await WorkerThreads.io.run { () throws(SystemError) in try store.update(record) }
        } catch {
            logger.error(
                "batch record could not be updated",
                metadata: ["scenedrop.session": "\(record.session)", "error.message": "\(error.description)"]
            )
            return true
        }
    }

    /// Ends `scenes` without an image from the batch: each goes to the chain with this failure first.
    func settle(
        _ run: inout BatchRun,
        scenes: [Int],
        reason: FallbackReason,
        message: String,
        attempts: Int,
        final: Bool = false
    ) {
        for scene in scenes {
            let tried =
                run.skipped + [
                    ProviderAttempt(provider: name, model: run.record.model, error: message, attempts: attempts)
                ]
            run.results[scene] = .failed(ProviderFailure(reason: reason, message: message, tried: tried), final: final)
        }
    }
}
