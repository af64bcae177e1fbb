import Coordination
import ImageGeneration

/// How images are made, as the command line (or a test) states it. The composition root turns it
/// into a provider chain; the CLI only parses.
public struct GenerationSettings: Sendable {
    /// `gemini` is in `--providers`.
    public var geminiEnabled = true
    /// `nil`: no key configured, every image comes from the placeholder.
    public var apiKey: GeminiKey?
    public var baseURL = "https://generativelanguage.googleapis.com"
    public var catalog = ModelCatalog.builtIn
    public var requestTimeout: Duration = .seconds(60)
    public var retries = 2
    public var requestsPerMinute: Double?
    public var dailyBudgetUSD: Double?
    /// How long a scene waits in line for a model's per-minute quota before it falls back.
    public var quotaWait: Duration = .seconds(15 * 60)
    public var cache = true
    /// How batch sessions are split, polled and given up on (`--batch-poll`, `--batch-deadline`).
    public var batch = BatchPolicy()
    /// The PostgreSQL coordinator (`--coordinator`): an exact budget across hosts and the fleet view.
    public var coordinator: CoordinatorAddress?
    /// How long paid requests wait for an unreachable coordinator when there is a budget.
    public var coordinatorWait: Duration = .seconds(15 * 60)

    public init() {}
}
