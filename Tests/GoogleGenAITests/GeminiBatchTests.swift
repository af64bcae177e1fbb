import AsyncHTTPClient
import FakeGemini
import Foundation
import GoogleGenAI
import ImageGeneration
import Imaging
import Logging
import SceneManifest
import Spend
import Synchronization
import SystemSupport
import TestSupport
import Testing

/// Batch mode's pure parts: the policy and the wire format.
@Suite struct BatchPolicyTests {
    @Test func pollsGrowByTheFactorUpToTheCeiling() {
        let policy = BatchPolicy(firstPoll: 10, factor: 1.5, maxPoll: 30)
        #expect((0..<5).map { policy.pollDelay(afterPolls: $0) } == [10, 15, 22.5, 30, 30])
    }

    @Test func theDeadlineCountsFromSubmission() {
        let policy = BatchPolicy(deadline: 100)
        #expect(!policy.isPastDeadline(submitted: 1000, now: 1099.9))
        #expect(policy.isPastDeadline(submitted: 1000, now: 1100))
    }

    @Test func jobsAreSplitUnderTheInlineLimitAndTheSceneCount() {
        let policy = BatchPolicy(maxInlineBytes: 100, maxScenesPerJob: 3)
        #expect(policy.split(sizes: [40, 40, 40, 10]) == [0..<2, 2..<4])
        #expect(policy.split(sizes: [10, 10, 10, 10, 10]) == [0..<3, 3..<5])
        // An item over the limit alone goes in a job of its own: the API judges it.
        #expect(policy.split(sizes: [10, 500, 10]) == [0..<1, 1..<2, 2..<3])
        #expect(policy.split(sizes: []) == [])
    }

    @Test func batchPricesAreHalfUnlessTheTableSaysOtherwise() throws {
        let pro = try #require(ModelCatalog.builtIn["gemini-3-pro-image"])
        #expect(pro.batchPrice(size: "4K") == 0.12)
        #expect(pro.batchPrice(size: "2K") == 0.067)
        let table = #"{"models": {"gemini-3-pro-image": {"batch_price_per_image": {"4K": 0.1}}}}"#
        let catalog = try ModelTableFile.apply(Array(table.utf8), to: .builtIn)
        #expect(catalog["gemini-3-pro-image"]?.batchPrice(size: "4K") == 0.1)
        #expect(catalog["gemini-3-pro-image"]?.batchPrice(size: "1K") == 0.067)
        let bad = #"{"models": {"gemini-3-pro-image": {"batch_price_per_image": {"4K": "cheap"}}}}"#
        #expect(throws: ModelTableError.self) { try ModelTableFile.apply(Array(bad.utf8), to: .builtIn) }
    }

    @Test func jobNamesAreOnlyTheAPIsShape() {
        #expect(BatchJob.isValidName("batches/abc-123_x"))
        for bad in ["batches/", "batches/../models", "models/x", "batches/a/b", "batches/a?b", "/batches/a"] {
            #expect(!BatchJob.isValidName(bad), "\(bad)")
        }
    }

    @Test func batchStatesReadTheAPIsWords() {
        #expect(BatchJob.State(wire: "BATCH_STATE_SUCCEEDED") == .succeeded)
        #expect(BatchJob.State(wire: "JOB_STATE_RUNNING") == .running)
        #expect(BatchJob.State(wire: "BATCH_STATE_NEW_THING") == .other("BATCH_STATE_NEW_THING"))
        #expect(!BatchJob.State(wire: nil).isFinal && BatchJob.State(wire: "BATCH_STATE_EXPIRED").isFinal)
    }
}

/// The provider's batch mode against the fake Batch API over real HTTP, real libvips, a real record
/// folder and ledger.
@Suite struct GeminiBatchTests {
    static var jpeg: [UInt8] { GeminiProviderTests.jpeg }

    struct Setup {
        let server: FakeGeminiServer
        let emulator: GeminiEmulator
        let provider: GeminiBatchProvider
        let root: String
        var store: BatchStore { provider.batchStore! }
        var ledger: String { root + "/ledger.jsonl" }
    }

    func withSetUp<Result>(
        behaviour: BatchBehaviour = BatchBehaviour(pendingFor: .milliseconds(100), runningFor: .milliseconds(100)),
        policy: BatchPolicy = BatchPolicy(firstPoll: 0.05, factor: 1, maxPoll: 0.05),
        cache: Bool = false,
        _ scenario: @escaping @Sendable (GeminiEmulator.Call) -> FakeResponse = { _ in
            GeminiEmulator.image(GeminiBatchTests.jpeg, mimeType: "image/jpeg")
        },
        _ body: (Setup) async throws -> Result
    ) async throws -> Result {
        let emulator = GeminiEmulator(scenario: scenario)
        emulator.setBatchBehaviour(behaviour)
        return try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let client = GeminiClient(
                    http: .shared,
                    baseURL: server.baseURL,
                    key: APIKey(GeminiEmulator.validKey)!,
                    timeout: .seconds(60)
                )
                let models = ModelProvider(
                    api: client,
                    policy: RetryPolicy(maxRetries: 1, baseDelay: 0.01, maxDelay: 0.05, jitter: 0),
                    state: ProviderState(requestsPerMinute: nil),
                    cache: cache ? ImageCache(directory: root + "/cache") : nil,
                    budget: LedgerBudget(
                        ledger: CostLedger(path: root + "/ledger.jsonl"),
                        dailyUSD: nil,
                        logger: Logger(label: "test"),
                        now: { Date().timeIntervalSince1970 }
                    ),
                    logger: Logger(label: "test"),
                    now: { Date().timeIntervalSince1970 }
                )
                let provider = GeminiBatchProvider(
                    models: models,
                    client: client,
                    store: BatchStore(directory: root + "/batches"),
                    policy: policy
                )
                return try await body(Setup(server: server, emulator: emulator, provider: provider, root: root))
            }
        }
    }

    func session(
        _ name: String = "b",
        scenes: Int = 3,
        prompt: String = "a lighthouse",
        hash: String = "aaaa1111"
    ) -> BatchSession {
        BatchSession(
            session: name,
            manifestSHA256: hash,
            requests: (1...scenes).map { n in
                ImageRequest(
                    session: name,
                    sceneNumber: n,
                    prompt: "\(prompt) \(n)",
                    negativePrompt: nil,
                    style: .cinematic,
                    aspectRatio: .widescreen,
                    width: 128,
                    height: 72,
                    quality: .draft,
                    model: nil,
                    format: .png
                )
            }
        )
    }

    func run(_ provider: GeminiBatchProvider, _ batch: BatchSession) async throws -> [Int: BatchSceneResult] {
        switch try await provider.generateBatch(
            batch,
            phases: ProviderPhases(limiter: ConcurrencyLimiter(limit: 8)),
            progress: { _, _ in }
        ) {
        case .scenes(let results): return results
        case .superseded:
            Issue.record("superseded")
            return [:]
        }
    }

    func ledgerLines(_ path: String) -> [[String: Any]] {
        String(decoding: readFile(path) ?? [], as: UTF8.self).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    @Test func aSessionGoesAsOneJobAtTheBatchPrice() async throws {
        try await withSetUp { s in
            let results = try await run(s.provider, session())
            #expect(
                s.emulator.batchJobs.count == 1 && s.emulator.batchJobs[0].keys == ["scene-1", "scene-2", "scene-3"]
            )
            #expect(s.server.generateRequests.isEmpty, "no interactive request")
            for n in 1...3 {
                guard case .image(let result)? = results[n] else {
                    Issue.record("scene \(n): \(String(describing: results[n]))")
                    continue
                }
                #expect(
                    result.image.costUSD == 0.0168 && result.image.model == "gemini-3.1-flash-lite-image"
                        && result.tried.isEmpty
                )
                #expect(try ImageInspector.inspect(result.image.bytes).width == 128)
            }
            let lines = ledgerLines(s.ledger)
            #expect(
                lines.count == 3
                    && lines.allSatisfy { $0["priority"] as? String == "batch" && $0["cost_usd"] as? Double == 0.0168 }
            )
            #expect(
                s.store.load("b")?.jobs.first?.state == "BATCH_STATE_SUCCEEDED",
                "the record holds until the session is published"
            )
            await s.provider.batchFinished(session())
            #expect(s.store.load("b") == nil)
        }
    }

    @Test func answersWithoutKeysAreMatchedByPosition() async throws {
        try await withSetUp(
            behaviour: BatchBehaviour(pendingFor: .zero, runningFor: .zero, echoKeys: false),
            { call in
                // Scene 2's answer is a safety block: it must land on scene 2, not on whichever came first.
                call.prompt.contains("lighthouse 2")
                    ? GeminiEmulator.imageSafety() : GeminiEmulator.image(GeminiBatchTests.jpeg, mimeType: "image/jpeg")
            }
        ) { s in
            let results = try await run(s.provider, session())
            guard case .failed(let failure, let final)? = results[2] else {
                Issue.record("\(String(describing: results[2]))")
                return
            }
            #expect(failure.reason == .safetyBlocked && final, "a safety block goes straight to the placeholder")
            if case .image? = results[1], case .image? = results[3] {
            } else {
                Issue.record("scenes 1 and 3 have images")
            }
        }
    }

    @Test func aPerKeyErrorFallsBackForThatSceneOnly() async throws {
        try await withSetUp({ call in
            call.prompt.contains("lighthouse 3")
                ? GeminiEmulator.unavailable() : GeminiEmulator.image(GeminiBatchTests.jpeg, mimeType: "image/jpeg")
        }) { s in
            let results = try await run(s.provider, session())
            guard case .failed(let failure, let final)? = results[3] else {
                Issue.record("\(String(describing: results[3]))")
                return
            }
            #expect(failure.reason == .batchFailed && !final, "the scene goes as an interactive request")
            #expect(
                failure.message.contains("UNAVAILABLE") && failure.tried.first?.model == "gemini-3.1-flash-lite-image",
                "\(failure.message)"
            )
            if case .image? = results[1], case .image? = results[2] {
            } else {
                Issue.record("scenes 1 and 2 have images")
            }
            #expect(ledgerLines(s.ledger).count == 2, "only images are paid for")
        }
    }

    @Test(arguments: [
        (
            BatchBehaviour.Ending.failed("internal error"), FallbackReason.batchFailed,
            "BATCH_STATE_FAILED: internal error"
        ),
        (BatchBehaviour.Ending.expired, FallbackReason.batchExpired, "expired"),
    ])
    func aJobThatEndsWithoutImagesFallsBackWithItsReason(
        ending: BatchBehaviour.Ending,
        reason: FallbackReason,
        words: String
    ) async throws {
        try await withSetUp(behaviour: BatchBehaviour(pendingFor: .zero, runningFor: .milliseconds(50), ending: ending))
        { s in
            let results = try await run(s.provider, session())
            #expect(results.count == 3)
            #expect(s.emulator.batchJobs.count == 1)
            for (_, result) in results {
                guard case .failed(let failure, false) = result else {
                    Issue.record("\(result)")
                    continue
                }
                #expect(failure.reason == reason && failure.message.contains(words), "\(failure.message)")
            }
            #expect(ledgerLines(s.ledger).isEmpty)
        }
    }

    @Test func aJobPastTheDeadlineIsCancelled() async throws {
        try await withSetUp(
            behaviour: BatchBehaviour(ending: .never),
            policy: BatchPolicy(firstPoll: 0.05, factor: 1, maxPoll: 0.05, deadline: 0.5)
        ) { s in
            let results = try await run(s.provider, session())
            #expect(results.count == 3)
            #expect(s.emulator.batchCancels == s.emulator.batchJobs.map(\.name) && s.emulator.batchJobs.count == 1)
            for (_, result) in results {
                guard case .failed(let failure, false) = result else {
                    Issue.record("\(result)")
                    continue
                }
                #expect(failure.reason == .batchExpired && failure.message.contains("--batch-deadline"))
            }
        }
    }

    @Test func largeSessionsAreSplitIntoSeveralJobs() async throws {
        try await withSetUp(policy: BatchPolicy(firstPoll: 0.05, factor: 1, maxPoll: 0.05, maxScenesPerJob: 2)) { s in
            let results = try await run(s.provider, session(scenes: 5))
            #expect(
                s.emulator.batchJobs.map(\.keys) == [["scene-1", "scene-2"], ["scene-3", "scene-4"], ["scene-5"]]
            )
            #expect(results.count == 5 && results.values.allSatisfy { if case .image = $0 { true } else { false } })
        }
    }

    @Test func aRecordedJobIsPolledAgainNotSubmittedAgain() async throws {
        try await withSetUp(behaviour: BatchBehaviour(ending: .never)) { s in
            // The first run is cut off while its job is pending (as at kill -9 or shutdown).
            let first = Task { try await run(s.provider, session()) }
            try await waitUntil("the job recorded with its name") { s.store.load("b")?.jobs.first?.name != nil }
            first.cancel()
            _ = try? await first.value
            s.emulator.setBatchBehaviour(BatchBehaviour(pendingFor: .zero, runningFor: .zero))
            let results = try await run(s.provider, session())
            #expect(s.emulator.batchJobs.count == 1, "the same job, polled again")
            #expect(results.count == 3 && results.values.allSatisfy { if case .image = $0 { true } else { false } })
        }
    }

    @Test func aJobCreatedJustBeforeACrashIsFoundByItsName() async throws {
        try await withSetUp(behaviour: BatchBehaviour(pendingFor: .zero, runningFor: .zero)) { s in
            // Five other jobs first, so the search has to turn pages (the fake lists two a page).
            for n in 1...5 { _ = try await run(s.provider, session("other\(n)", scenes: 1, hash: "bbbb\(n)")) }
            _ = try await run(s.provider, session())
            let created = try #require(s.store.load("b"))
            // As if the daemon died between the create call and writing the job's name down.
            var cut = created
            cut.jobs[0].name = nil
            cut.jobs[0].state = "SUBMITTING"
            try s.store.save(cut)
            let jobs = s.emulator.batchJobs.count
            let results = try await run(s.provider, session())
            #expect(s.emulator.batchJobs.count == jobs, "found by display name, not submitted again")
            #expect(s.store.load("b")?.jobs[0].name == created.jobs[0].name)
            #expect(results.count == 3 && results.values.allSatisfy { if case .image = $0 { true } else { false } })
        }
    }

    @Test func aReDropWithOtherContentCancelsTheOldJobAndSupersedesItsWaiter() async throws {
        try await withSetUp(behaviour: BatchBehaviour(ending: .never)) { s in
            let old = Task {
                try await s.provider.generateBatch(
                    session(hash: "old"),
                    phases: ProviderPhases(limiter: ConcurrencyLimiter(limit: 8)),
                    progress: { _, _ in }
                )
            }
            try await waitUntil("the first job recorded") { s.store.load("b")?.jobs.first?.name != nil }
            let oldJob = try #require(s.store.load("b")?.jobs.first?.name)
            s.emulator.setBatchBehaviour(BatchBehaviour(pendingFor: .milliseconds(200), runningFor: .zero))
            let results = try await run(s.provider, session(prompt: "a harbour", hash: "new"))
            #expect(s.emulator.batchCancels.first == oldJob)
            #expect(
                s.emulator.batchJobs.count == 2 && s.emulator.batchJobs[1].prompts.allSatisfy { $0.contains("harbour") }
            )
            #expect(results.count == 3)
            let oldEnd = try await old.value
            guard case .superseded = oldEnd else {
                Issue.record("the old drop's wait ends superseded, not \(oldEnd)")
                return
            }
            await s.provider.batchFinished(session(hash: "old"))
            #expect(s.store.load("b")?.manifestSHA256 == "new", "an old drop never removes the new drop's record")
        }
    }

    /// A re-drop whose images all come from the cache sends nothing, yet still replaces the waiting
    /// drop: otherwise the older content would be published after it.
    @Test func aReDropServedFromTheCacheStillSupersedesTheWaitingDrop() async throws {
        try await withSetUp(behaviour: BatchBehaviour(pendingFor: .zero, runningFor: .zero), cache: true) { s in
            _ = try await run(s.provider, session(prompt: "a harbour", hash: "first"))
            await s.provider.batchFinished(session(prompt: "a harbour", hash: "first"))
            s.emulator.setBatchBehaviour(BatchBehaviour(ending: .never))
            let waiting = Task {
                try await s.provider.generateBatch(
                    session(prompt: "a castle", hash: "second"),
                    phases: ProviderPhases(limiter: ConcurrencyLimiter(limit: 8)),
                    progress: { _, _ in }
                )
            }
            try await waitUntil("the castle job recorded") {
                s.store.load("b")?.manifestSHA256 == "second" && s.store.load("b")?.jobs.first?.name != nil
            }
            let results = try await run(s.provider, session(prompt: "a harbour", hash: "third"))
            #expect(
                results.count == 3
                    && results.values.allSatisfy { if case .image(let r) = $0 { r.image.cacheHit } else { false } }
            )
            #expect(s.emulator.batchJobs.count == 2, "nothing sent for the cached drop")
            #expect(s.emulator.batchCancels == [s.emulator.batchJobs[1].name])
            let waitEnd = try await waiting.value
            guard case .superseded = waitEnd else {
                Issue.record("the castle drop's wait ends superseded, not \(waitEnd)")
                return
            }
        }
    }

    /// The fake checks every inline request as generateContent does: a size the model lacks is a 400
    /// for the whole job, and the client reports it as the API said it.
    @Test func aJobWithAnInvalidRequestIsRefusedWhole() async throws {
        try await withSetUp { s in
            let body = BatchRequestBody(
                displayName: "bad",
                items: [
                    .init(
                        key: "scene-1",
                        request: GeminiRequestBody(prompt: "ok", aspectRatio: "16:9", imageSize: "1K")
                    ),
                    .init(
                        key: "scene-2",
                        request: GeminiRequestBody(prompt: "too big", aspectRatio: "16:9", imageSize: "4K")
                    ),
                ]
            )
            guard
                case .failure(.http(400, let message, _, _, _)) = await s.provider.client.createBatch(
                    model: "gemini-3.1-flash-lite-image",
                    body: body
                )
            else {
                Issue.record("a 400")
                return
            }
            #expect(message.contains("Unsupported image size: 4K"), "\(message)")
            #expect(s.emulator.batchJobs.isEmpty)
        }
    }

    @Test func theBudgetLimitsWhatIsSent() async throws {
        try await withSetUp { s in
            let provider = GeminiBatchProvider(
                models: ModelProvider(
                    api: s.provider.client,
                    policy: s.provider.models.policy,
                    state: s.provider.models.state,
                    budget: LedgerBudget(
                        ledger: CostLedger(path: s.ledger),
                        dailyUSD: 0.04,
                        logger: s.provider.models.logger,
                        now: { Date().timeIntervalSince1970 }
                    ),
                    logger: s.provider.models.logger,
                    now: { Date().timeIntervalSince1970 }
                ),
                client: s.provider.client,
                store: s.store,
                policy: s.provider.batchPolicy
            )
            let results = try await run(provider, session())
            #expect(s.emulator.batchJobs.first?.keys == ["scene-1", "scene-2"], "two at $0.0168 fit in $0.04")
            guard case .failed(let failure, true)? = results[3] else {
                Issue.record("\(String(describing: results[3]))")
                return
            }
            #expect(failure.reason == .budgetExceeded)
        }
    }
}
