import Imaging
import Logging

/// An image and how it was obtained: what the scene metadata records.
package struct GeneratedImage: Sendable {
    package struct Fallback: Sendable, Equatable {
        package var reason: FallbackReason
        package var tried: [ProviderAttempt]
    }

    package var image: ProviderImage
    package var provider: String
    package var isReal: Bool
    package var latencyMS: Int
    /// `nil` when the first provider's first model made the image.
    package var fallback: Fallback?
}

/// The ordered providers for each scene; the first that yields a valid image wins, and the
/// placeholder is always last, so a scene never ends without an image.
package struct ProviderChain: Sendable {
    package let providers: [any ImageProvider]
    /// Recorded when the chain holds only the placeholder because no real provider is configured.
    package let emptyChainReason: FallbackReason
    /// The link that must not fail: the placeholder (a parameter so tests can make it fail for real).
    let lastResort: any ImageProvider
    /// The model table the chain's models come from, its chains as configured: what a manifest's references
    /// are checked against (contract §7). Nil in tests that build a chain by hand.
    package var catalog: ModelCatalog?
    /// Tries of the last resort before the scene, and so the session, is given up.
    package static let lastResortTries = 2

    package init(
        providers: [any ImageProvider],
        emptyChainReason: FallbackReason = .noAPIKey,
        lastResort: any ImageProvider = PlaceholderProvider()
    ) {
        self.providers = providers
        self.emptyChainReason = emptyChainReason
        self.lastResort = lastResort
    }

    package var hasRealProvider: Bool { providers.contains { $0.isReal } }

    /// What limits the chain now, in plain words: each provider's conditions, or why there is none.
    package func conditions() async -> [String] {
        guard hasRealProvider else {
            return ["no real provider (\(emptyChainReason.rawValue)): every image comes from the placeholder renderer"]
        }
        var lines: [String] = []
        for provider in providers { lines += await provider.conditions() }
        return lines
    }

    /// Every provider's live model list (contract §11): at start, then every `ModelListService.interval`.
    package func refreshModels() async {
        for provider in providers { await provider.refreshModels() }
    }

    /// The first provider, when it can take whole sessions as batch jobs.
    package var batchProvider: (any BatchImageProvider)? {
        providers.first as? any BatchImageProvider
    }

    /// - Parameter earlier: what failed before the chain was asked (a batch job's answer for this
    ///   scene), recorded first; with `final` only the last resort is asked.
    package func generate(
        _ request: ImageRequest,
        limiter: ConcurrencyLimiter,
        logger: Logger,
        earlier: (failure: ProviderFailure, final: Bool)? = nil,
        progress: @escaping @Sendable (SceneProgress) -> Void = { _ in }
    ) async throws(GenerationError) -> GeneratedImage {
        let started = ContinuousClock.now
        let phases = ProviderPhases(limiter: limiter, key: request.session, progress: progress)
        var tried: [ProviderAttempt] = earlier?.failure.tried ?? []
        var firstReason: FallbackReason? = earlier?.failure.reason
        for provider in earlier?.final == true ? [] : providers {
            switch try await attempt(provider, request, phases: phases) {
            case .success(let result):
                return Self.generated(
                    result,
                    by: provider,
                    started: started,
                    earlierTried: tried,
                    earlierReason: firstReason
                )
            case .failure(let failure):
                logger.warning(
                    "provider failed; trying the next",
                    metadata: [
                        "scenedrop.session": "\(request.session)", "scenedrop.scene": "\(request.sceneNumber)",
                        "scenedrop.provider": "\(provider.name)", "error.type": "\(failure.reason.rawValue)",
                    ]
                )
                firstReason = firstReason ?? failure.reason
                tried +=
                    failure.tried.isEmpty
                    ? [ProviderAttempt(provider: provider.name, model: nil, error: failure.message, attempts: 0)]
                    : failure.tried
            }
        }
        var lastFailure: ProviderFailure?
        for _ in 1...Self.lastResortTries {
            switch try await attempt(lastResort, request, phases: phases) {
            case .success(let result):
                return GeneratedImage(
                    image: result.image,
                    provider: lastResort.name,
                    isReal: false,
                    latencyMS: Self.milliseconds(since: started),
                    fallback: .init(reason: firstReason ?? emptyChainReason, tried: tried)
                )
            case .failure(let failure):
                logger.error(
                    "the last-resort image could not be rendered",
                    metadata: [
                        "scenedrop.session": "\(request.session)", "scenedrop.scene": "\(request.sceneNumber)",
                        "scenedrop.provider": "\(lastResort.name)", "error.message": "\(failure.message)",
                    ]
                )
                lastFailure = failure
            }
        }
        throw GenerationError(
            .renderFailed,
            "\(lastResort.name) failed \(Self.lastResortTries) times: \(lastFailure?.message ?? "no image")"
        )
    }

    /// One provider call; a cancelled task asks no further provider.
    private func attempt(
        _ provider: any ImageProvider,
        _ request: ImageRequest,
        phases: ProviderPhases
    ) async throws(GenerationError) -> Result<ProviderResult, ProviderFailure> {
        if Task.isCancelled { throw GenerationError(.cancelled, "cancelled before \(provider.name) was asked") }
        if !provider.isReal { phases.progress(.rendering(provider: provider.name)) }
        do throws(ProviderFailure) {
            return .success(try await provider.generate(request, phases: phases))
        } catch {
            if Task.isCancelled || error.cancelled {
                throw GenerationError(.cancelled, "cancelled while \(provider.name) was asked")
            }
            return .failure(error)
        }
    }

    /// A provider's image as the scene records it, after what failed before it.
    package static func generated(
        _ result: ProviderResult,
        by provider: any ImageProvider,
        started: ContinuousClock.Instant,
        earlierTried: [ProviderAttempt] = [],
        earlierReason: FallbackReason? = nil
    ) -> GeneratedImage {
        let tried = earlierTried + result.tried
        return GeneratedImage(
            image: result.image,
            provider: result.image.provider ?? provider.name,
            isReal: provider.isReal,
            latencyMS: milliseconds(since: started),
            fallback: tried.isEmpty
                ? nil : .init(reason: earlierReason ?? result.firstFailure ?? .serverError, tried: tried)
        )
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}
