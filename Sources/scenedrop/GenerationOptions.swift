import ArgumentParser
import GoogleGenAI
import ImageGeneration
import Imaging
import SceneDropCore
import SceneManifest
import SystemSupport

/// How images are made: shared by `watch` and `process`.
struct GenerationOptions: ParsableArguments {
    @Option(name: .long, help: "Provider calls in flight across the whole daemon.")
    var concurrency: Int = 8

    @Option(
        name: .customLong("max-sessions"),
        help:
            "Manifests claimed at once (default: the concurrency, at least 2). The rest wait in the inbox, where other instances can take them."
    )
    var maxSessions: Int?

    @Option(name: .customLong("image-format"), help: "png or jpeg.")
    var imageFormat: String = "png"

    @Flag(
        name: .long,
        help: "Quarantine a session (reason fallback_used) when any scene could not come from a real provider."
    )
    var strict = false

    @Option(
        name: .customLong("notify-dir"),
        help: ArgumentHelp(
            "After each publish, write <session>.json (a copy of session.json) here by temp file and rename: a next stage can watch this folder.",
            valueName: "dir"
        )
    )
    var notifyDir: String?

    @Option(
        name: .long,
        help: "How long a file found by a rescan (no close event) must keep the same size and mtime before it is taken."
    )
    var settle: DurationArgument = DurationArgument(.seconds(1), text: "1s")

    @Flag(name: .customLong("no-fsync"), help: .hidden)
    var noFsync = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Image providers in order, comma-separated, for both qualities: gemini, vertex, openai (each with its default models), or provider:model links such as openai:gpt-image-1. The placeholder always ends the chain.",
            valueName: "list"
        )
    )
    var providers: String = "gemini,placeholder"

    @Option(
        name: .customLong("gemini-base-url"),
        help: ArgumentHelp("The Gemini API endpoint (or set SCENEDROP_GEMINI_BASE_URL).", valueName: "url")
    )
    var geminiBaseURL: String?

    @Option(
        name: .customLong("vertex-project"),
        help: ArgumentHelp(
            "The Google Cloud project for Vertex AI (or set SCENEDROP_VERTEX_PROJECT); credentials come from the service-account key file in GOOGLE_APPLICATION_CREDENTIALS.",
            valueName: "project"
        )
    )
    var vertexProject: String?

    @Option(name: .customLong("vertex-location"), help: ArgumentHelp("The Vertex AI location.", valueName: "location"))
    var vertexLocation: String = "global"

    @Option(
        name: .customLong("vertex-base-url"),
        help: ArgumentHelp(
            "The Vertex AI endpoint (or set SCENEDROP_VERTEX_BASE_URL; default https://aiplatform.googleapis.com).",
            valueName: "url"
        )
    )
    var vertexBaseURL: String?

    @Option(
        name: .customLong("openai-api-key-file"),
        help: ArgumentHelp(
            "Read the OpenAI API key from this file (otherwise OPENAI_API_KEY). Never in logs, metadata or ps.",
            valueName: "file"
        )
    )
    var openAIKeyFile: String?

    @Option(
        name: .customLong("openai-base-url"),
        help: ArgumentHelp(
            "The OpenAI Images API endpoint, or any server that speaks it (or set SCENEDROP_OPENAI_BASE_URL; default https://api.openai.com).",
            valueName: "url"
        )
    )
    var openAIBaseURL: String?

    @Option(
        name: .customLong("api-key-file"),
        help: ArgumentHelp(
            "Read the Gemini API key from this file (otherwise GEMINI_API_KEY or GOOGLE_API_KEY). The key never appears in logs, metadata or ps.",
            valueName: "file"
        )
    )
    var apiKeyFile: String?

    @Option(
        name: .customLong("request-timeout"),
        help: ArgumentHelp(
            "Total time one image request may take, answer included, for every model (default: per model and size from the model table, see `scenedrop models`; 60s for a model not in it).",
            valueName: "duration"
        )
    )
    var requestTimeout: DurationArgument?

    @Option(
        name: .long,
        help:
            "Retries per model after a 408, 5xx, timeout or connection error (a per-minute 429 is waited out instead: --quota-wait)."
    )
    var retries: Int = 2

    @Option(
        name: .long,
        help:
            "Requests per minute per Gemini model, shared by all sessions: a hard ceiling on top of the quota SceneDrop learns from 429s (default: none)."
    )
    var rpm: Double?

    @Option(
        name: .customLong("quota-wait"),
        help: "How long a scene waits in line for a model's per-minute quota before it falls back with rate_limited."
    )
    var quotaWait: DurationArgument = DurationArgument(.seconds(15 * 60), text: "15m")

    @Option(
        name: .customLong("daily-budget-usd"),
        help:
            "Stop paid image requests once today's (UTC) spend in the ledger reaches this many US dollars; images then come from the placeholder with budget_exceeded."
    )
    var dailyBudgetUSD: Double?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "interactive or batch, for manifests without a \"priority\": batch sends each session as one Gemini Batch API job at half the price, and waits for it (up to --batch-deadline).",
            valueName: "priority"
        )
    )
    var priority: String = "interactive"

    @Option(
        name: .customLong("batch-deadline"),
        help:
            "How long a batch job may take before it is cancelled and its scenes fall back (batch_expired): interactive requests, then the placeholder."
    )
    var batchDeadline: DurationArgument = DurationArgument(.seconds(24 * 3600), text: "24h")

    @Option(
        name: .customLong("batch-poll"),
        help:
            "The first wait before a batch job is asked how it stands; each later wait is 1.5 times the last, at most 5m."
    )
    var batchPoll: DurationArgument = DurationArgument(.seconds(10), text: "10s")

    @Option(
        name: .customLong("lease-renew"),
        help:
            "How often this instance's lease (.scenedrop/work/<instance>.lease) moves on, so peers sharing the volume know it is alive."
    )
    var leaseRenew: DurationArgument = DurationArgument(.seconds(10), text: "10s")

    @Option(
        name: .customLong("lease-timeout"),
        help:
            "How long a peer's lease may stand still, on this instance's own clock, before the peer is taken for dead and its claims go back to the inbox. Make it longer than any pause a peer may take (a suspended VM, a stalled mount); at least three --lease-renew."
    )
    var leaseTimeout: DurationArgument = DurationArgument(.seconds(60), text: "60s")

    @Option(
        name: .customLong("coordinator-wait"),
        help:
            "With --coordinator and --daily-budget-usd: how long paid requests wait for an unreachable coordinator before their scenes fall back with budget_unavailable (a budget cannot be kept without it). Without a budget, images go on and their ledger rows are written when it is back."
    )
    var coordinatorWait: DurationArgument = DurationArgument(.seconds(15 * 60), text: "15m")

    @OptionGroup var coordination: CoordinatorOptions

    @Flag(
        name: .customLong("no-cache"),
        help: "Always ask the provider, even for an image made before with the same model, prompt and size."
    )
    var noCache = false

    @OptionGroup var models: ModelOptions

    func validate() throws {
        guard concurrency >= 1, concurrency <= 1024 else {
            throw ValidationError("--concurrency must be from 1 to 1024 (got \(concurrency))")
        }
        if let maxSessions, maxSessions < 1 { throw ValidationError("--max-sessions must be at least 1") }
        guard OutputFormat(rawValue: imageFormat.lowercased() == "jpg" ? "jpeg" : imageFormat.lowercased()) != nil
        else {
            throw ValidationError("--image-format must be png or jpeg (got '\(imageFormat)')")
        }
        // The model table with --providers' chains: a broken --models-file or an unknown provider stops here.
        let catalog = try effectiveCatalog()
        guard (0...10).contains(retries) else {
            throw ValidationError("--retries must be from 0 to 10 (got \(retries))")
        }
        if let rpm, rpm <= 0 { throw ValidationError("--rpm must be above 0") }
        if let dailyBudgetUSD, dailyBudgetUSD < 0 { throw ValidationError("--daily-budget-usd must not be negative") }
        guard Manifest.Priority(rawValue: priority.lowercased()) != nil else {
            throw ValidationError("--priority must be interactive or batch (got '\(priority)')")
        }
        if leaseRenew.duration < .milliseconds(100) { throw ValidationError("--lease-renew must be at least 100ms") }
        if leaseTimeout.duration < leaseRenew.duration * 3 {
            throw ValidationError(
                "--lease-timeout (\(leaseTimeout.text)) must be at least three --lease-renew (\(leaseRenew.text)): one late renewal must not make a live peer look dead"
            )
        }
        if batchDeadline.duration < .seconds(1) { throw ValidationError("--batch-deadline must be at least 1s") }
        if batchPoll.duration < .milliseconds(10) { throw ValidationError("--batch-poll must be at least 10ms") }
        if let requestTimeout, requestTimeout.duration < .seconds(1) {
            throw ValidationError("--request-timeout must be at least 1s")
        }
        for (option, value) in [
            ("--gemini-base-url", geminiBaseURL ?? environment("SCENEDROP_GEMINI_BASE_URL") ?? ""),
            ("--openai-base-url", openAIBaseURL ?? environment("SCENEDROP_OPENAI_BASE_URL") ?? ""),
            ("--vertex-base-url", vertexBaseURL ?? environment("SCENEDROP_VERTEX_BASE_URL") ?? ""),
        ] where !value.isEmpty && !(value.hasPrefix("http://") || value.hasPrefix("https://")) {
            throw ValidationError("\(option) must start with http:// or https:// (got '\(value)')")
        }
        if catalog.usesVertex {
            guard let project = vertexProject ?? environment("SCENEDROP_VERTEX_PROJECT"), !project.isEmpty else {
                throw ValidationError("--providers names vertex: set --vertex-project (or SCENEDROP_VERTEX_PROJECT)")
            }
            guard project.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }),
                vertexLocation.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else {
                throw ValidationError("--vertex-project and --vertex-location take letters, digits and '-' only")
            }
            _ = try vertexKey()
        }
        if let openAIKeyFile, readKeyFile(openAIKeyFile) == nil {
            throw ValidationError(
                "--openai-api-key-file \(openAIKeyFile): cannot read a key from it (it must exist, be readable and not be empty)"
            )
        }
        if let apiKeyFile, readKeyFile(apiKeyFile) == nil {
            throw ValidationError(
                "--api-key-file \(apiKeyFile): cannot read a key from it (it must exist, be readable and not be empty)"
            )
        }
    }

    var providerNames: [String] {
        providers.split(separator: ",").map { String($0).trimmingCharacters(in: " ").lowercased() }.filter {
            !$0.isEmpty
        }
    }

    /// The model table with the chains `--providers` sets.
    func effectiveCatalog() throws -> ModelCatalog {
        var catalog = try models.catalog()
        do {
            if let chains = try ProviderRegistry.chains(providerNames, catalog: catalog) {
                (catalog.draftChain, catalog.productionChain) = (chains.draft, chains.production)
            }
        } catch {
            throw ValidationError(error.description)
        }
        if !providerNames.contains(where: { $0 != "placeholder" }) {
            // `--providers placeholder`: no paid link at all.
            (catalog.draftChain, catalog.productionChain) = ([], [])
        }
        return catalog
    }

    /// The service-account key for Vertex AI, from GOOGLE_APPLICATION_CREDENTIALS; a usage error that
    /// says what is wrong with the file (never quoting the key) when it cannot be used.
    func vertexKey() throws -> ServiceAccountKey {
        guard let path = environment("GOOGLE_APPLICATION_CREDENTIALS"), !path.isEmpty else {
            throw ValidationError(
                "--providers names vertex: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file (JSON)"
            )
        }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readRegularFile(FileSystem.resolvingLink(path), limit: 64 * 1024)
        } catch {
            throw ValidationError("GOOGLE_APPLICATION_CREDENTIALS \(path): \(error)")
        }
        do {
            return try ServiceAccountKey(json: bytes)
        } catch {
            throw ValidationError("GOOGLE_APPLICATION_CREDENTIALS \(path) \(error.description)")
        }
    }

    func readKeyFile(_ path: String) -> APIKey? {
        guard let bytes = try? FileSystem.readRegularFile(FileSystem.resolvingLink(path), limit: 64 * 1024) else {
            return nil
        }
        return APIKey(String(decoding: bytes, as: UTF8.self))
    }

    func apply(to configuration: inout Configuration) {
        configuration.concurrency = concurrency
        configuration.maxSessions = maxSessions
        configuration.imageFormat =
            OutputFormat(rawValue: imageFormat.lowercased() == "jpg" ? "jpeg" : imageFormat.lowercased()) ?? .png
        configuration.strict = strict
        configuration.priority = Manifest.Priority(rawValue: priority.lowercased()) ?? .interactive
        configuration.notifyDirectory = notifyDir.map(Layout.absolutePath)
        configuration.settle = settle.duration
        configuration.sync = !noFsync
        configuration.leaseRenew = leaseRenew.duration
        configuration.leaseTimeout = leaseTimeout.duration
    }

    /// What the composition root needs to build the provider chain (the placeholder is always its last link).
    func settings() throws -> GenerationSettings {
        var settings = GenerationSettings()
        settings.apiKey =
            apiKeyFile.flatMap(readKeyFile)
            ?? environment("GEMINI_API_KEY").flatMap(APIKey.init)
            ?? environment("GOOGLE_API_KEY").flatMap(APIKey.init)
        settings.baseURL = geminiBaseURL ?? environment("SCENEDROP_GEMINI_BASE_URL") ?? settings.baseURL
        // validate() read the table already; a file broken since then stops the command, never silently ignored.
        settings.catalog = try effectiveCatalog()
        settings.openAIKey = openAIKeyFile.flatMap(readKeyFile) ?? environment("OPENAI_API_KEY").flatMap(APIKey.init)
        if settings.catalog.usesVertex {
            settings.vertexKey = try vertexKey()
            settings.vertexProject = vertexProject ?? environment("SCENEDROP_VERTEX_PROJECT")
        }
        settings.vertexLocation = vertexLocation
        settings.vertexBaseURL = vertexBaseURL ?? environment("SCENEDROP_VERTEX_BASE_URL") ?? settings.vertexBaseURL
        settings.openAIBaseURL =
            openAIBaseURL ?? environment("SCENEDROP_OPENAI_BASE_URL") ?? settings.openAIBaseURL
        settings.requestTimeout = requestTimeout?.duration ?? settings.requestTimeout
        settings.tableDeadlines = requestTimeout == nil
        settings.retries = retries
        settings.requestsPerMinute = rpm
        settings.quotaWait = quotaWait.duration
        settings.dailyBudgetUSD = dailyBudgetUSD
        settings.cache = !noCache
        settings.batch = BatchPolicy(firstPoll: batchPoll.duration.seconds, deadline: batchDeadline.duration.seconds)
        settings.coordinator = try coordination.address()
        settings.coordinatorWait = coordinatorWait.duration
        return settings
    }
}
