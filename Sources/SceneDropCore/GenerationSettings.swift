import Coordination
import GoogleGenAI
import ImageGeneration

/// How images are made, as the command line (or a test) states it. The composition root turns it
/// into a provider chain; the CLI only parses.
package struct GenerationSettings: Sendable {
    /// The Gemini API key; `nil`: none configured, Gemini's links are passed over.
    package var apiKey: APIKey?
    package var baseURL = "https://generativelanguage.googleapis.com"
    /// The OpenAI key (`OPENAI_API_KEY`, `--openai-api-key-file`); `nil`: OpenAI's links are passed over.
    package var openAIKey: APIKey?
    package var openAIBaseURL = "https://api.openai.com"
    /// Vertex AI (`--vertex-project`, `--vertex-location`, `GOOGLE_APPLICATION_CREDENTIALS`); `nil` key:
    /// Vertex's links are passed over.
    package var vertexKey: ServiceAccountKey?
    package var vertexProject: String?
    package var vertexLocation = "global"
    package var vertexBaseURL = "https://aiplatform.googleapis.com"
    /// The model table, its chains already set by `--providers` (every link a `ProviderRegistry` provider).
    package var catalog = ProviderRegistry.catalog
    /// The deadline of a request to a model the table has no deadline for, or of every request when
    /// `tableDeadlines` is false (`--request-timeout` given).
    package var requestTimeout: Duration = .seconds(60)
    package var tableDeadlines = true
    package var retries = 2
    package var requestsPerMinute: Double?
    package var dailyBudgetUSD: Double?
    /// How long a scene waits in line for a model's per-minute quota before it falls back.
    package var quotaWait: Duration = .seconds(15 * 60)
    package var cache = true
    /// How batch sessions are split, polled and given up on (`--batch-poll`, `--batch-deadline`).
    package var batch = BatchPolicy()
    /// The PostgreSQL coordinator (`--coordinator`): an exact budget across hosts and the fleet view.
    package var coordinator: CoordinatorAddress?
    /// How long paid requests wait for an unreachable coordinator when there is a budget.
    package var coordinatorWait: Duration = .seconds(15 * 60)

    package init() {}
}
