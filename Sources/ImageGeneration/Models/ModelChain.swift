import Logging
import SceneManifest
import SystemSupport

/// The models of a scene's plan across vendors, as one link of the provider chain (contract §11): each
/// step goes to the `ModelProvider` of its provider (`gemini:…`, `vertex:…`, `openai:…`), so a Gemini
/// outage or a spent per-day quota moves the scene to the next link, another vendor's model included,
/// before the placeholder. Quota waiting, retries, the budget, the ledger and the cache apply to every
/// provider alike: they are the `ModelProvider`s' shared machinery.
package struct ModelChain: ImageProvider {
    /// By provider name.
    package let providers: [String: ModelProvider]
    package let catalog: ModelCatalog
    package let cache: ImageCache?
    package let logger: Logger

    package init(providers: [ModelProvider], catalog: ModelCatalog, cache: ImageCache?, logger: Logger) {
        self.providers = Dictionary(providers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.catalog = catalog
        self.cache = cache
        self.logger = logger
    }

    /// One provider: its name; several: `models`.
    package var name: String { providers.count == 1 ? providers.keys.first! : "models" }
    package let isReal = true

    package func conditions() async -> [String] {
        var lines: [String] = []
        for name in providers.keys.sorted() { lines += await providers[name]!.conditions() }
        return lines
    }

    /// Each provider's live model list against the chains' models it serves (at start, then daily).
    package func refreshModels() async {
        let links = (catalog.draftChain + catalog.productionChain).map(catalog.link)
        for (name, provider) in providers {
            await provider.refreshModels(Set(links.filter { $0.provider == name }.map(\.model)))
        }
    }

    /// The models to try for the request, in order, each with its provider.
    package func plan(for request: ImageRequest) -> ModelPlan {
        ModelPlan(for: request, catalog: catalog)
    }

    package func generate(
        _ request: ImageRequest,
        phases: ProviderPhases
    ) async throws(ProviderFailure) -> ProviderResult {
        let prompt = ModelProvider.prompt(for: request)
        let plan = plan(for: request)
        if let cache,
            let cached = await cache.image(
                for: request,
                prompt: prompt,
                plan: plan,
                phases: phases,
                logger: logger
            )
        {
            return cached
        }
        var tried = plan.skipped.map {
            ProviderAttempt(provider: $0.provider, model: $0.model, error: "skipped: \($0.reason)", attempts: 0)
        }
        var firstReason: FallbackReason? = plan.skipped.isEmpty ? nil : .modelNotFound
        // Providers out for this scene: a refused key, an unreachable endpoint, no credentials. Each is said
        // once in `tried`; its later models are passed over.
        var out: Set<String> = []

        for step in plan.steps where !out.contains(step.provider) {
            guard let provider = providers[step.provider] else {
                out.insert(step.provider)
                tried.append(
                    ProviderAttempt(
                        provider: step.provider,
                        model: step.model,
                        error: "\(step.provider) is not configured (no credentials, or not in --providers)",
                        attempts: 0
                    )
                )
                firstReason = firstReason ?? .noAPIKey
                continue
            }
            if let disabled = await provider.state.disabled {
                out.insert(step.provider)
                tried.append(
                    ProviderAttempt(
                        provider: step.provider,
                        model: nil,
                        error: "\(step.provider) is disabled for this run (\(disabled.rawValue))",
                        attempts: 0
                    )
                )
                firstReason = firstReason ?? disabled
                continue
            }
            if await provider.state.unlisted.contains(step.model) {
                tried.append(
                    ProviderAttempt(
                        provider: step.provider,
                        model: step.model,
                        error: "skipped: the API does not list \(step.model) for these credentials",
                        attempts: 0
                    )
                )
                firstReason = firstReason ?? .modelNotFound
                continue
            }
            switch await provider.attempt(step, prompt: prompt, request: request, phases: phases) {
            case .image(var image):
                image.provider = step.provider
                if let cache {
                    let key = ImageCache.Key(step, prompt: prompt, request: request)
                    let bytes = image.bytes
                    await WorkerThreads.io.run { cache.store(bytes, for: key) }
                }
                return ProviderResult(image: image, tried: tried, firstFailure: tried.isEmpty ? nil : firstReason)
            case .cancelled(let attempts):
                tried.append(
                    ProviderAttempt(provider: step.provider, model: step.model, error: "cancelled", attempts: attempts)
                )
                throw ProviderFailure.cancellation(tried: tried)
            case .failed(let reason, let message, let attempts, let stopHere):
                tried.append(
                    ProviderAttempt(provider: step.provider, model: step.model, error: message, attempts: attempts)
                )
                firstReason = firstReason ?? reason
                guard stopHere else { continue }
                if Self.vendorWide.contains(reason) {
                    // Another vendor's key and endpoint are not affected.
                    out.insert(step.provider)
                } else {
                    throw ProviderFailure(reason: reason, message: message, tried: tried)
                }
            }
        }
        throw ProviderFailure(
            reason: firstReason ?? .modelNotFound,
            message: tried.last?.error ?? "no model of the chain can make this image",
            tried: tried
        )
    }

    /// Failures that end one vendor's part of the chain for the scene, not the scene's chain: the next
    /// vendor's models are still tried. A safety block, a spent or unreachable budget and an unwritable
    /// ledger end the chain.
    static let vendorWide: Set<FallbackReason> = [.invalidAPIKey, .networkError, .noAPIKey]
}
