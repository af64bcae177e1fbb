import Imaging
import Logging
import SceneManifest
import Spend
import SystemSupport

/// Gemini image models ("Nano Banana") as a link of the provider chain. Walks the model plan for the
/// scene, retries what the retry policy says, shares cool-downs and rate limits across the daemon,
/// checks and sizes every image with libvips, and reports each model it tried.
package struct ModelProvider: ImageProvider {
    package let isReal = true
    package let api: any ImageAPI
    /// The provider's name in chains and metadata (`gemini`, `vertex`, `openai`).
    package var name: String { api.provider }
    package let catalog: ModelCatalog
    package let policy: RetryPolicy
    package let state: ProviderState
    package let logger: Logger
    /// `nil` with `--no-cache`.
    package let cache: ImageCache?
    /// Where paid calls are recorded and the daily budget decided; nil: nothing is recorded (tests).
    package let budget: (any BudgetGate)?
    /// How long a scene waits in line for a model's per-minute quota before it falls back (`--quota-wait`).
    package let quotaWait: Double
    /// Where models retired for a spent daily quota are listed for `scenedrop status`; nil: nowhere.
    package var retiredModelsFile: String?
    /// Whether each request's deadline comes from the table (per model and size); false with
    /// `--request-timeout`, which overrides them all.
    package var tableDeadlines = true
    /// How long a paid request waits for an unreachable coordinator before its scene falls back with
    /// `budget_unavailable` (`--coordinator-wait`).
    package var coordinatorWait: Double = 900
    /// Wall time in seconds since the epoch, for ledger lines and the UTC day (a parameter so tests can
    /// pin it). Every timer reads the state's monotonic clock instead.
    package let now: @Sendable () -> Double
    package var clock: MonotonicClock { state.clock }

    package init(
        api: any ImageAPI,
        catalog: ModelCatalog = .builtIn,
        policy: RetryPolicy = RetryPolicy(),
        state: ProviderState,
        cache: ImageCache? = nil,
        budget: (any BudgetGate)? = nil,
        quotaWait: Double = 900,
        logger: Logger,
        now: @escaping @Sendable () -> Double
    ) {
        self.quotaWait = quotaWait
        self.cache = cache
        self.budget = budget
        self.api = api
        self.catalog = catalog
        self.policy = policy
        self.state = state
        self.logger = logger
        self.now = now
    }

    /// This vendor's models of the plan alone (the daemon walks every vendor's with `ModelChain`).
    package func generate(
        _ request: ImageRequest,
        phases: ProviderPhases
    ) async throws(ProviderFailure) -> ProviderResult {
        try await ModelChain(providers: [self], catalog: catalog, cache: cache, logger: logger)
            .generate(request, phases: phases)
    }

    /// Lists the models the credentials can use and leaves out of the chains, with one warning each, the
    /// chain models (`models`) the list lacks; a model listed again comes back. A list that cannot be read
    /// changes nothing. Nothing to do for an API without a list.
    package func refreshModels(_ models: Set<String>) async {
        guard let list = await api.listModels() else { return }
        switch list {
        case .failed(.cancelled):
            return
        case .failed(let failure):
            let message = Self.describe(failure)
            // A refused key is known now, before any scene pays for finding it out.
            if case .giveUp(let reason, .providerForRun) = policy.decide(failure, attempts: .max, random: 0.5) {
                await record(.providerForRun, reason: reason, model: "", message: message)
                return
            }
            logger.warning(
                "the models this key can use could not be listed; the chains are kept as they are",
                metadata: ["scenedrop.provider": "\(name)", "error.message": "\(Secrets.scrub(message))"]
            )
        case .listed(let listed):
            let change = await state.setUnlisted(models.subtracting(listed))
            for model in change.leftOut {
                logger.warning(
                    "model left out of the chains: the API does not list it for these credentials",
                    metadata: ["scenedrop.provider": "\(name)", "scenedrop.model": "\(model)"]
                )
                if let file = retiredModelsFile {
                    // Shown by `scenedrop status` until the next listing, a day later.
                    let wall = now()
                    let entry = RetiredModels.Entry(model: model, reason: "not_listed", until: wall + 86_400)
                    await WorkerThreads.io.run { RetiredModels.record(entry, in: file, now: wall) }
                }
            }
            for model in change.back {
                logger.notice(
                    "model listed again; it is back in the chains",
                    metadata: ["scenedrop.provider": "\(name)", "scenedrop.model": "\(model)"]
                )
            }
        }
    }

    /// The prompt as sent: the scene's text with its style and negative prompt worked in.
    package static func prompt(for request: ImageRequest) -> String {
        PromptEnhancer.enhance(
            prompt: request.prompt,
            style: request.style,
            quality: request.quality,
            aspectRatio: request.aspectRatio.description,
            negative: request.negativePrompt,
            references: request.references.map(\.label)
        )
    }

    /// The models to try for the request, in order.
    package func plan(for request: ImageRequest) -> ModelPlan {
        ModelPlan(for: request, catalog: catalog)
    }

    /// A cached image from any model of the plan: it makes no request and costs nothing.
    package func cached(
        _ request: ImageRequest,
        prompt: String,
        plan: ModelPlan,
        phases: ProviderPhases
    ) async -> ProviderResult? {
        await cache?.image(for: request, prompt: prompt, plan: plan, phases: phases, logger: logger)
    }

    package func conditions() async -> [String] {
        await state.conditions(wallNow: now())
    }

    package func cacheKey(_ step: ModelPlan.Step, prompt: String, request: ImageRequest) -> ImageCache.Key {
        ImageCache.Key(step, prompt: prompt, request: request)
    }

    package enum StepOutcome: Sendable {
        case image(ProviderImage)
        /// `stopHere`: no further model of this scene should be tried (a safety block, a spent budget), or
        /// none of this vendor's (a refused key, an unreachable endpoint).
        case failed(FallbackReason, message: String, attempts: Int, stopHere: Bool)
        /// The task was cancelled (shutdown): no other model is tried, and nothing is recorded as a failure.
        case cancelled(attempts: Int)

        init(_ outcome: AttemptMachine.Outcome) {
            switch outcome {
            case .failed(let reason, let message, let attempts, let stopHere):
                self = .failed(reason, message: message, attempts: attempts, stopHere: stopHere)
            case .cancelled(let attempts):
                self = .cancelled(attempts: attempts)
            }
        }

        /// As the attempt machine takes a probe's verdict (an image never comes from a probe).
        var machineOutcome: AttemptMachine.Outcome {
            switch self {
            case .failed(let reason, let message, let attempts, let stopHere):
                return .failed(reason, message: message, attempts: attempts, stopHere: stopHere)
            case .cancelled(let attempts):
                return .cancelled(attempts: attempts)
            case .image:
                // A probe never brings an image.
                return .cancelled(attempts: 0)
            }
        }
    }

    /// The key probe on behalf of every scene waiting for it; a step outcome when this step must stop.
    func probeForEveryone(_ model: String, phases: ProviderPhases, attempts: Int) async -> StepOutcome? {
        guard let (verdict, probes) = await probe(model, phases: phases) else {
            await state.abandonProbe()
            return .cancelled(attempts: attempts)
        }
        let message = verdict.failure.map(Self.describe)
        let (change, newlyDisabled) = await state.probeVerdict(verdict, model: model, message: message, wallNow: now())
        report(change, failure: verdict.failure)
        if newlyDisabled { reportDisabled(.invalidAPIKey, message: message ?? "the API refused the key") }
        if case .failure(.unreachable(let message)) = verdict {
            return .failed(.networkError, message: message, attempts: attempts + probes, stopHere: true)
        }
        if await state.disabled != nil {
            return .failed(.invalidAPIKey, message: message ?? "the API refused the key", attempts: 1, stopHere: true)
        }
        return nil
    }

    /// A failed request other than a per-minute 429: retried after the policy's delay, or given up
    /// with its scope applied to the shared state. `attempts` counts the requests that failed other
    /// than by quota. `nil`: try again.
    func afterFailure(_ failure: RetryPolicy.Failure, model: String, attempts: Int) async -> StepOutcome? {
        switch policy.decide(failure, attempts: attempts, random: Double.random(in: 0..<1)) {
        case .stop:
            return .cancelled(attempts: attempts)
        case .retry(let delay):
            guard await clock.pause(delay) else { return .cancelled(attempts: attempts) }
            return nil
        case .giveUp(let reason, let scope):
            let message = Self.describe(failure)
            await record(scope, reason: reason, model: model, message: message)
            // Neither another model nor another request helps with a refused key or an unreachable endpoint.
            return .failed(
                reason,
                message: message,
                attempts: attempts,
                stopHere: scope == .providerForRun || scope == .endpoint
            )
        }
    }

    /// The checked, sized image (the format comes from the bytes, never from `mimeType`). Its ledger
    /// line was written as the answer came (`timedRequest`).
    func checked(
        _ processed: Result<[UInt8], ImagingError>?,
        claimed mimeType: String?,
        usage: TokenUsage? = nil,
        step: ModelPlan.Step,
        prompt: String,
        request: ImageRequest,
        attempts: Int
    ) async -> StepOutcome {
        switch processed {
        case .success(let sized):
            return .image(
                ProviderImage(
                    bytes: sized,
                    format: request.format.imageFormat,
                    width: request.width,
                    height: request.height,
                    model: step.model,
                    imageSize: step.imageSize,
                    costUSD: usage.flatMap { usage in step.tokenPrices.map { $0.cost(of: usage) } }
                        ?? step.pricePerImage ?? 0,
                    cacheHit: false,
                    attempts: attempts,
                    enhancedPrompt: prompt,
                    usage: usage
                )
            )
        case .failure(let error):
            return .failed(
                .invalidImage,
                message: "\(step.model) sent an unusable image (\(mimeType ?? "no type")): \(error.message)",
                attempts: attempts,
                stopHere: false
            )
        case nil:
            return .failed(
                .invalidImage,
                message: "\(step.model) sent an image that was not checked",
                attempts: attempts,
                stopHere: false
            )
        }
    }

    /// The key probe (models.get), a network phase, retried as the policy says while the endpoint cannot
    /// be reached (the other scenes wait for its verdict). Returns the answer and the requests it took;
    /// `nil` when cancelled.
    func probe(_ model: String, phases: ProviderPhases) async -> (APIAnswer, requests: Int)? {
        var requests = 0
        while true {
            requests += 1
            guard let answer = try? await phases.network({ await api.probe(model: model) }) else { return nil }
            guard case .failure(let failure) = answer, case .unreachable = failure,
                case .retry(let delay) = policy.decide(failure, attempts: requests, random: Double.random(in: 0..<1))
            else { return (answer, requests) }
            guard await clock.pause(delay) else { return nil }
        }
    }

    /// Says once when the endpoint stops answering, and once when it answers again.
    func report(_ change: ModelAdmission.GateChange, failure: RetryPolicy.Failure?) {
        switch change {
        case .none:
            break
        case .wentDown:
            logger.error(
                "gemini API unreachable; scenes fall back until it answers again",
                metadata: [
                    "error.type": "\(FallbackReason.networkError.rawValue)",
                    "error.message": "\(Secrets.scrub(failure.map(Self.describe) ?? "unknown"))",
                    "scenedrop.gemini_base_url": "\(api.baseURL)",
                    "scenedrop.retry_in_s": "\(Int(saturating: state.reprobeAfter))",
                ]
            )
        case .cameBack:
            logger.notice("gemini API reachable again", metadata: ["scenedrop.gemini_base_url": "\(api.baseURL)"])
        }
    }

    /// Applies a final failure's scope to the shared state; the first time it disables the provider,
    /// says so once as an error.
    func record(_ scope: RetryPolicy.Scope, reason: FallbackReason, model: String, message: String) async {
        if scope == .endpoint {
            report(await state.markUnreachable(message), failure: .unreachable(message))
            return
        }
        if await state.apply(scope, reason: reason, model: model, message: message, wallNow: now()) {
            reportDisabled(reason, message: message)
        }
        if scope == .modelUntilDailyReset {
            let wall = now()
            let returns = PacificTime.nextMidnight(after: wall)
            logger.warning(
                "daily quota spent: the model is retired until the quota resets (midnight Pacific time)",
                metadata: [
                    "scenedrop.model": "\(model)", "scenedrop.returns_at": "\(WallClock.rfc3339(returns))",
                ]
            )
            if let file = retiredModelsFile {
                let entry = RetiredModels.Entry(model: model, reason: reason.rawValue, until: returns)
                await WorkerThreads.io.run { RetiredModels.record(entry, in: file, now: wall) }
            }
        }
    }

    /// The key scrubbed from the message.
    func reportDisabled(_ reason: FallbackReason, message: String) {
        logger.error(
            "gemini disabled for this run: the API refused the key",
            metadata: [
                "error.type": "\(reason.rawValue)", "error.message": "\(Secrets.scrub(message))",
            ]
        )
    }

    package static func describe(_ failure: RetryPolicy.Failure) -> String {
        switch failure {
        case .http(_, let message, _, _, _): return message
        case .timeout: return "no complete answer within the request timeout"
        case .cancelled: return "cancelled"
        case .unreachable(let message): return message
        case .connection(let message): return "connection failed: \(message)"
        case .invalidResponse(let message): return message
        }
    }
}
