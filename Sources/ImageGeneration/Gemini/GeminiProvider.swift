import Imaging
import Logging
import SceneManifest
import SystemSupport

/// Gemini image models ("Nano Banana") as a link of the provider chain. Walks the model plan for the
/// scene, retries what the retry policy says, shares cool-downs and rate limits across the daemon,
/// checks and sizes every image with libvips, and reports each model it tried.
public struct GeminiProvider: ImageProvider {
    public let name = "gemini"
    public let isReal = true
    public let client: GeminiClient
    public let catalog: ModelCatalog
    public let policy: RetryPolicy
    public let state: GeminiState
    public let logger: Logger
    /// `nil` with `--no-cache`.
    public let cache: ImageCache?
    /// Where paid calls are recorded; with `dailyBudget`, paid requests stop once today's spend reaches it.
    public let ledger: CostLedger?
    public let dailyBudget: Double?
    /// The current time in seconds since the epoch (a parameter so tests can pin it).
    let now: @Sendable () -> Double

    public init(
        client: GeminiClient, catalog: ModelCatalog = .builtIn, policy: RetryPolicy = RetryPolicy(), state: GeminiState,
        cache: ImageCache? = nil, ledger: CostLedger? = nil, dailyBudget: Double? = nil, logger: Logger, now: @escaping @Sendable () -> Double
    ) {
        self.cache = cache
        self.ledger = ledger
        self.dailyBudget = dailyBudget
        self.client = client
        self.catalog = catalog
        self.policy = policy
        self.state = state
        self.logger = logger
        self.now = now
    }

    public func generate(_ request: ImageRequest) async throws(ProviderFailure) -> ProviderImage {
        let prompt = PromptEnhancer.enhance(
            prompt: request.prompt, style: request.style, quality: request.quality,
            aspectRatio: request.aspectRatio.description, negative: request.negativePrompt)
        if let disabled = await state.disabled {
            throw ProviderFailure(reason: disabled, message: "gemini is disabled for this run (\(disabled.rawValue))", tried: [])
        }
        let plan = ModelPlan(
            quality: request.quality, manifestModel: request.model, aspectRatio: request.aspectRatio.description,
            width: request.width, height: request.height, catalog: catalog)
        // A cached image from any model of the plan makes no request and costs nothing.
        if let cache {
            for step in plan.steps {
                let key = cacheKey(step, prompt: prompt, request: request)
                // On the imaging threads: a lookup decodes the cached image to check it.
                if let bytes = await WorkerThreads.cpu.run({ cache.lookup(key) }) {
                    return ProviderImage(
                        bytes: bytes, format: request.format.imageFormat, width: request.width, height: request.height,
                        model: step.model, imageSize: step.imageSize, costUSD: 0, cacheHit: true, attempts: 0, enhancedPrompt: prompt)
                }
            }
        }
        var tried = plan.skipped.map { ProviderAttempt(provider: name, model: $0.model, error: "skipped: \($0.reason)", attempts: 0) }
        var firstReason: FallbackReason? = plan.skipped.isEmpty ? nil : .modelNotFound

        for step in plan.steps {
            switch await attempt(step, prompt: prompt, request: request) {
            case .image(var image):
                if let cache {
                    let key = cacheKey(step, prompt: prompt, request: request)
                    let bytes = image.bytes
                    await WorkerThreads.io.run { cache.store(bytes, for: key) }
                }
                image.earlier = tried
                image.earlierReason = tried.isEmpty ? nil : firstReason
                return image
            case .failed(let reason, let message, let attempts, let stopHere):
                tried.append(ProviderAttempt(provider: name, model: step.model, error: message, attempts: attempts))
                firstReason = firstReason ?? reason
                if stopHere {
                    throw ProviderFailure(reason: reason, message: message, tried: tried)
                }
            }
        }
        throw ProviderFailure(reason: firstReason ?? .modelNotFound, message: tried.last?.error ?? "no Gemini model can make this image", tried: tried)
    }

    func cacheKey(_ step: ModelPlan.Step, prompt: String, request: ImageRequest) -> ImageCache.Key {
        ImageCache.Key(
            model: step.model, prompt: prompt, aspectRatio: request.aspectRatio.description, imageSize: step.imageSize,
            format: request.format, width: request.width, height: request.height)
    }

    enum StepOutcome {
        case image(ProviderImage)
        /// `stopHere`: the provider must not try other models (safety block, disabled provider, cancellation).
        case failed(FallbackReason, message: String, attempts: Int, stopHere: Bool)
    }

    func attempt(_ step: ModelPlan.Step, prompt: String, request: ImageRequest) async -> StepOutcome {
        if let retired = await retirement(of: step.model) { return retired }
        let body = GeminiRequestBody(prompt: prompt, aspectRatio: request.aspectRatio.description, imageSize: step.imageSize)
        var attempts = 0
        while true {
            let wait = await state.reserveTurn(for: step.model, now: now())
            if wait > 0 {
                guard await Self.pause(wait) else { return .failed(.timeout, message: "cancelled", attempts: attempts, stopHere: true) }
            }
            if let dailyBudget, let ledger, await ledger.spentToday(now: now()) >= dailyBudget {
                return .failed(.budgetExceeded, message: "today's spend reached the daily budget of $\(dailyBudget); paid providers wait for the next UTC day", attempts: attempts, stopHere: true)
            }
            var probeFailure: RetryPolicy.Failure?
            switch await state.waitForTurn(now: now) {
            case .proceed:
                break
            case .unreachable(let message):
                // Another scene just found the endpoint unreachable: no request of ours would fare better.
                return .failed(.networkError, message: message, attempts: attempts, stopHere: true)
            case .probe:
                let (verdict, probes) = await probe(step.model)
                probeFailure = verdict.failure
                report(await state.probeVerdict(verdict, model: step.model, now: now()), failure: verdict.failure)
                if await state.disabled != nil {
                    let message = Self.describe(verdict.failure ?? .invalidResponse("the API refused the key"))
                    await record(.providerForRun, reason: .invalidAPIKey, model: step.model, message: message)
                    return .failed(.invalidAPIKey, message: message, attempts: 1, stopHere: true)
                }
                if case .failure(.unreachable(let message)) = verdict {
                    return .failed(.networkError, message: message, attempts: attempts + probes, stopHere: true)
                }
            }
            // The key probe may have found this model missing (404) while this scene waited for it.
            if attempts == 0, let retired = await retirement(of: step.model, because: probeFailure.map(Self.describe)) { return retired }
            if let disabled = await state.disabled {
                return .failed(disabled, message: "gemini is disabled for this run (\(disabled.rawValue))", attempts: attempts, stopHere: true)
            }
            do { try await ProviderPermit.current?.ensureHeld() } catch {
                return .failed(.timeout, message: "cancelled", attempts: attempts, stopHere: true)
            }
            attempts += 1
            let answer = await client.generate(model: step.model, body: body)
            switch answer {
            case .image(let bytes, let mimeType):
                return await checked(bytes, claimed: mimeType, step: step, prompt: prompt, request: request, attempts: attempts)
            case .noImage(let reason, let message):
                // 200 answers are final: a safety block goes straight to the placeholder.
                return .failed(reason, message: message, attempts: attempts, stopHere: reason == .safetyBlocked)
            case .failure(let failure):
                switch policy.decide(failure, attempts: attempts, random: Double.random(in: 0..<1)) {
                case .retry(let delay):
                    if case .http(429, _, _, _, _) = failure {
                        // One cool-down for the whole daemon: every scene waits for this model, once.
                        await state.coolDown(step.model, until: now() + delay)
                    } else {
                        guard await Self.pause(delay) else { return .failed(.timeout, message: "cancelled", attempts: attempts, stopHere: true) }
                    }
                case .giveUp(let reason, let scope):
                    let message = Self.describe(failure)
                    await record(scope, reason: reason, model: step.model, message: message)
                    // Neither another model nor another request helps with a refused key or an unreachable endpoint.
                    return .failed(reason, message: message, attempts: attempts, stopHere: scope == .providerForRun || scope == .endpoint)
                }
            }
        }
    }

    /// A failed step when `model` is retired; `because` is the API's own words when we have them.
    func retirement(of model: String, because: String? = nil) async -> StepOutcome? {
        guard case .retired(let reason) = await state.availability(of: model, now: now()) else { return nil }
        let message = because ?? "\(model) is not used again in this run or today (\(reason.rawValue))"
        return .failed(reason, message: message, attempts: 0, stopHere: false)
    }

    /// Full decode and dimensions with libvips, then scale and centre-crop to the target (off the
    /// cooperative pool). The format comes from the bytes, never from `mimeType`.
    func checked(_ bytes: [UInt8], claimed mimeType: String?, step: ModelPlan.Step, prompt: String, request: ImageRequest, attempts: Int) async -> StepOutcome {
        let (width, height, format) = (request.width, request.height, request.format)
        let permit = ProviderPermit.current
        let result: Result<[UInt8], ImagingError> = await WorkerThreads.cpu.run {
            // The answer is in: the next request may go out while this image is processed.
            permit?.releaseEarly()
            return Result { () throws(ImagingError) in
                // cover decodes every pixel (refusing a truncated or corrupt image) before it scales.
                try ImageResizer.cover(bytes, width: width, height: height, format: format)
            }
        }
        // The API charges for an image it sent, usable or not.
        if let ledger, let price = step.pricePerImage {
            await ledger.record(.init(
                time: WallClock.rfc3339(now()), model: step.model, imageSize: step.imageSize, costUSD: price,
                session: request.session, scene: request.sceneNumber))
        }
        switch result {
        case .success(let sized):
            return .image(ProviderImage(
                bytes: sized, format: format.imageFormat, width: width, height: height, model: step.model, imageSize: step.imageSize,
                costUSD: step.pricePerImage ?? 0, cacheHit: false, attempts: attempts, enhancedPrompt: prompt))
        case .failure(let error):
            return .failed(.invalidImage, message: "\(step.model) sent an unusable image (\(mimeType ?? "no type")): \(error.message)", attempts: attempts, stopHere: false)
        }
    }

    /// The key probe (models.get), retried as the policy says while the endpoint cannot be reached
    /// (the other scenes wait for its verdict). Returns the answer and the requests it took.
    func probe(_ model: String) async -> (GeminiAnswer, requests: Int) {
        var requests = 0
        while true {
            requests += 1
            let answer = await client.probe(model: model)
            guard case .failure(let failure) = answer, case .unreachable = failure,
                  case .retry(let delay) = policy.decide(failure, attempts: requests, random: Double.random(in: 0..<1))
            else { return (answer, requests) }
            guard await Self.pause(delay) else { return (answer, requests) }
        }
    }

    /// Waits `seconds`; false when the task was cancelled meanwhile.
    static func pause(_ seconds: Double) async -> Bool {
        (try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))) != nil
    }

    /// Says once when the endpoint stops answering, and once when it answers again.
    func report(_ change: GeminiState.GateChange, failure: RetryPolicy.Failure?) {
        switch change {
        case .none:
            break
        case .wentDown:
            logger.error("gemini API unreachable; scenes fall back until it answers again", metadata: [
                "error.type": "\(FallbackReason.networkError.rawValue)", "error.message": "\(client.key.scrub(failure.map(Self.describe) ?? "unknown"))",
                "scenedrop.gemini_base_url": "\(client.baseURL)", "scenedrop.retry_in_s": "\(Int(state.reprobeAfter))",
            ])
        case .cameBack:
            logger.notice("gemini API reachable again", metadata: ["scenedrop.gemini_base_url": "\(client.baseURL)"])
        }
    }

    /// Applies a final failure's scope to the shared state; the first time it disables the provider,
    /// says so once as an error (the key scrubbed from the message).
    func record(_ scope: RetryPolicy.Scope, reason: FallbackReason, model: String, message: String) async {
        if scope == .endpoint {
            report(await state.markUnreachable(message, now: now()), failure: .unreachable(message))
            return
        }
        if await state.apply(scope, reason: reason, model: model, now: now()) {
            logger.error("gemini disabled for this run: the API refused the key", metadata: [
                "error.type": "\(reason.rawValue)", "error.message": "\(client.key.scrub(message))",
            ])
        }
    }

    static func describe(_ failure: RetryPolicy.Failure) -> String {
        switch failure {
        case .http(_, let message, _, _, _): return message
        case .timeout: return "no complete answer within the request timeout"
        case .unreachable(let message): return message
        case .connection(let message): return "connection failed: \(message)"
        case .invalidResponse(let message): return message
        }
    }
}
