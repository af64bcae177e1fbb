import AsyncHTTPClient
import DropFolder
import GoogleGenAI
import ImageGeneration
import Logging
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
        guard settings.geminiEnabled else {
            logger.notice("the gemini provider is not in --providers: every image comes from the placeholder renderer")
            return try await body(ProviderChain(providers: [], emptyChainReason: .noAPIKey))
        }
        guard let key = settings.apiKey else {
            logger.notice("no API key configured: every image comes from the placeholder renderer")
            return try await body(ProviderChain(providers: [], emptyChainReason: .noAPIKey))
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
            let client = GeminiClient(
                http: http,
                baseURL: settings.baseURL,
                key: key,
                timeout: settings.requestTimeout,
                clock: clock
            )
            var models = ModelProvider(
                api: client,
                catalog: settings.catalog,
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
            let provider = GeminiBatchProvider(
                models: models,
                client: client,
                store: BatchStore(directory: layout.batches),
                policy: settings.batch
            )
            logger.info(
                "gemini provider enabled",
                metadata: [
                    "scenedrop.gemini_base_url": "\(client.baseURL)", "scenedrop.retries": "\(settings.retries)",
                    "scenedrop.request_timeout_s":
                        "\(settings.tableDeadlines ? "per model and size" : String(settings.requestTimeout.seconds))",
                ]
            )
            return try await body(ProviderChain(providers: [provider]))
        }
    }
}
