import AsyncHTTPClient
import DropFolder
import GoogleGenAI
import ImageGeneration
import Logging
import OpenAIImages
import Spend
import SystemSupport

/// Builds the provider chain (HTTP client, Gemini client, shared state, cache, ledger) and keeps the
/// HTTP client alive exactly as long as `body` runs.
package enum ProviderAssembly {
    package static func withChain<Result>(
        _ settings: GenerationSettings,
        configuration: Configuration,
        instanceID: String = WorkArea.makeInstanceID(),
        coordinator: (any SpendCoordinator)? = nil,
        clock: MonotonicClock = .continuous,
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (ProviderChain) async throws -> Result
    ) async throws -> Result {
        let catalog = settings.catalog
        let wanted = Set((catalog.draftChain + catalog.productionChain).map { catalog.link($0).provider })
        let keys: [String: APIKey] = [
            "gemini": settings.apiKey, "openai": settings.openAIKey,
        ].compactMapValues { $0 }
        let vertex = settings.vertexKey.flatMap { key in settings.vertexProject.map { (key, $0) } }
        let usable = wanted.filter { keys[$0] != nil || ($0 == "vertex" && vertex != nil) }
        guard !usable.isEmpty else {
            logger.notice(
                "no API key configured for any provider of the chains: every image comes from the placeholder renderer",
                metadata: ["scenedrop.providers": "\(wanted.sorted().joined(separator: ","))"]
            )
            var chain = ProviderChain(providers: [], emptyChainReason: .noAPIKey)
            chain.catalog = catalog
            return try await body(chain)
        }
        for missing in wanted.subtracting(usable).sorted() {
            logger.notice(
                "a provider of the chains has no credentials; its links are passed over",
                metadata: ["scenedrop.provider": "\(missing)"]
            )
        }
        let layout = configuration.layout
        let ledger = CostLedger(directory: layout.ledger, instance: instanceID)
        let budget: any BudgetGate =
            if let coordinator {
                CoordinatedBudget(
                    coordinator: coordinator,
                    ledger: ledger,
                    dailyUSD: settings.dailyBudgetUSD,
                    logger: logger
                )
            } else {
                LedgerBudget(
                    ledger: ledger,
                    dailyUSD: settings.dailyBudgetUSD,
                    logger: logger,
                    now: { WallClock.now() }
                )
            }
        return try await APITransport.withHTTPClient(connections: configuration.concurrency) { http in
            func transport(_ base: String, _ option: String) -> APITransport {
                APITransport(
                    http: http,
                    baseURL: base,
                    baseURLOption: option,
                    timeout: settings.requestTimeout,
                    clock: clock
                )
            }
            func models(_ api: any ImageAPI) -> ModelProvider {
                var models = ModelProvider(
                    api: api,
                    catalog: catalog,
                    policy: RetryPolicy(maxRetries: settings.retries),
                    state: ProviderState(requestsPerMinute: settings.requestsPerMinute, clock: clock),
                    cache: settings.cache ? ImageCache(directory: layout.cache) : nil,
                    budget: budget,
                    quotaWait: settings.quotaWait.seconds,
                    logger: logger,
                    now: { WallClock.now() }
                )
                models.retiredModelsFile = layout.retiredModels
                models.coordinatorWait = settings.coordinatorWait.seconds
                models.tableDeadlines = settings.tableDeadlines
                logger.info(
                    "provider enabled",
                    metadata: [
                        "scenedrop.provider": "\(api.provider)", "scenedrop.base_url": "\(api.baseURL)",
                        "scenedrop.retries": "\(settings.retries)",
                        "scenedrop.request_timeout_s":
                            "\(settings.tableDeadlines ? "per model and size" : String(settings.requestTimeout.seconds))",
                    ]
                )
                return models
            }
            var gemini: (client: GeminiClient, models: ModelProvider)?
            var vendors: [ModelProvider] = []
            if usable.contains("gemini"), let key = keys["gemini"] {
                let client = GeminiClient(transport: transport(settings.baseURL, "--gemini-base-url"), key: key)
                gemini = (client, models(client))
                vendors.append(gemini!.models)
            }
            if usable.contains("vertex"), let (key, project) = vertex {
                let client = VertexClient(
                    transport: transport(settings.vertexBaseURL, "--vertex-base-url"),
                    project: project,
                    location: settings.vertexLocation,
                    tokens: VertexTokens(key: key, http: http, clock: clock, wallNow: { WallClock.now() })
                )
                vendors.append(models(client))
            }
            if usable.contains("openai"), let key = keys["openai"] {
                let client = OpenAIClient(transport: transport(settings.openAIBaseURL, "--openai-base-url"), key: key)
                vendors.append(models(client))
            }
            let chain = ModelChain(
                providers: vendors,
                catalog: catalog,
                cache: settings.cache ? ImageCache(directory: layout.cache) : nil,
                logger: logger
            )
            // Batch mode is Gemini's Batch API; its interactive requests walk the whole chain.
            let link: any ImageProvider =
                if let gemini {
                    GeminiBatchProvider(
                        models: gemini.models,
                        chain: chain,
                        client: gemini.client,
                        store: BatchStore(directory: layout.batches),
                        policy: settings.batch
                    )
                } else {
                    chain
                }
            var providerChain = ProviderChain(providers: [link])
            providerChain.catalog = catalog
            return try await body(providerChain)
        }
    }
}
