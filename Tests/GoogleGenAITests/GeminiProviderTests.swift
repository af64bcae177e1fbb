import AsyncHTTPClient
import FakeGemini
import Foundation
import GoogleGenAI
import ImageGeneration
import Imaging
import Logging
import SceneManifest
import Spend
import SystemSupport
import TestSupport
import Testing

/// Real provider, real HTTP over loopback, real libvips; the server plays the documented API.
@Suite struct GeminiProviderTests {
    static let jpeg = try! PlaceholderCard(
        sceneNumber: 1,
        prompt: "fake jpeg",
        style: "minimal",
        width: 1376,
        height: 768,
        format: .jpeg
    ).render()
    static let png = try! PlaceholderCard(
        sceneNumber: 1,
        prompt: "fake png",
        style: "minimal",
        width: 1344,
        height: 768,
        format: .png
    ).render()

    struct Setup {
        let server: FakeGeminiServer
        let emulator: GeminiEmulator
        let provider: ModelProvider
    }

    /// A provider on a fake server playing `scenario`, for the length of `body`. The request timeout is
    /// long unless a test is about timeouts: a cold first run (fontconfig building its cache while the
    /// suite starts) has starved the process for 18 s, and a spurious timeout is a retry no test expects.
    func withSetUp<Result>(
        key: String = GeminiEmulator.validKey,
        retries: Int = 2,
        timeout: Duration = .seconds(60),
        maxBody: Int = 48 << 20,
        cache: ImageCache? = nil,
        ledger: CostLedger? = nil,
        budget: Double? = nil,
        catalog: ModelCatalog = .builtIn,
        tableDeadlines: Bool = false,
        _ scenario: @escaping @Sendable (GeminiEmulator.Call) -> FakeResponse,
        _ body: (Setup) async throws -> Result
    ) async throws -> Result {
        let emulator = GeminiEmulator(scenario: scenario)
        return try await withFakeGemini({ emulator.handle($0) }) { server in
            let client = GeminiClient(
                http: .shared,
                baseURL: server.baseURL,
                key: APIKey(key)!,
                timeout: timeout,
                maxBodyBytes: maxBody
            )
            var provider = ModelProvider(
                api: client,
                catalog: catalog,
                policy: RetryPolicy(maxRetries: retries, baseDelay: 0.01, maxDelay: 0.05, jitter: 0),
                state: ProviderState(requestsPerMinute: nil),
                cache: cache,
                budget: ledger.map {
                    LedgerBudget(
                        ledger: $0,
                        dailyUSD: budget,
                        logger: Logger(label: "test"),
                        now: { Date().timeIntervalSince1970 }
                    )
                },
                logger: Logger(label: "test"),
                now: { Date().timeIntervalSince1970 }
            )
            // `timeout` stands for --request-timeout, which overrides the table's deadlines, unless the
            // test is about those.
            provider.tableDeadlines = tableDeadlines
            return try await body(Setup(server: server, emulator: emulator, provider: provider))
        }
    }

    func request(model: String? = nil, quality: String = "draft", scene: Int = 1) throws -> ImageRequest {
        ImageRequest(
            session: "t",
            sceneNumber: scene,
            prompt: "cat with coffee",
            negativePrompt: "dogs",
            style: .cinematic,
            aspectRatio: .widescreen,
            width: 128,
            height: 72,
            quality: try #require(Manifest.Quality(rawValue: quality)),
            model: model,
            format: .png
        )
    }

    func failure(_ provider: ModelProvider, _ request: ImageRequest) async -> ProviderFailure? {
        do {
            _ = try await provider.generate(request)
            return nil
        } catch {
            return error
        }
    }

    @Test func jpegSuccessIsCheckedResizedAndPriced() async throws {
        try await withSetUp({ _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }) { s in
            let image = try await s.provider.generate(try request())
            #expect(image.model == "gemini-3.1-flash-lite-image")
            #expect(image.imageSize == "1K")
            #expect(image.costUSD == 0.0336)
            #expect(image.attempts == 1)
            #expect(image.tried.isEmpty)
            #expect(try ImageInspector.check(image.bytes, width: 128, height: 72).format == .png)
            let sent = try #require(s.server.generateRequests.first)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: Any])
            let text =
                ((body["contents"] as? [[String: Any]])?.first?["parts"] as? [[String: Any]])?.first?["text"] as? String
            #expect(text?.hasPrefix("cat with coffee.") == true)
            #expect(text?.contains("Avoid: dogs.") == true)
            #expect(image.enhancedPrompt == text)
        }
    }

    @Test func pngFromAModelWithoutSizeControlAndJPEGLabelledPNG() async throws {
        try await withSetUp({ call in
            call.model == "gemini-2.5-flash-image"
                ? GeminiEmulator.image(Self.png) : GeminiEmulator.image(Self.jpeg, mimeType: "image/png")
        }) { s in
            let old = try await s.provider.generate(try request(model: "gemini-2.5-flash-image"))
            #expect(old.model == "gemini-2.5-flash-image")
            #expect(old.imageSize == nil)
            #expect(old.costUSD == 0.039)
            let mislabelled = try await s.provider.generate(try request())
            #expect(mislabelled.model == "gemini-3.1-flash-lite-image")
            #expect(try ImageInspector.inspect(mislabelled.bytes).width == 128)
        }
    }

    @Test func theFinalImageIsKeptNotTheThoughtImage() async throws {
        // The interim thought image is not an image at all: using it would fail the decode.
        try await withSetUp({ _ in
            GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg", thoughtImage: Array("not an image".utf8))
        }) { s in
            let image = try await s.provider.generate(try request())
            #expect(image.attempts == 1)
        }
    }

    @Test func safetyBlocksGoStraightToThePlaceholder() async throws {
        for answer in [GeminiEmulator.imageSafety(), GeminiEmulator.promptBlocked()] {
            try await withSetUp({ _ in answer }) { s in
                let failure = try #require(await failure(s.provider, try request()))
                #expect(failure.reason == .safetyBlocked)
                #expect(s.server.generateRequests.count == 1, "never retried, no other model")
                #expect(failure.tried.count == 1)
            }
        }
    }

    @Test func textOnlyAndNoImageMoveToTheNextModelWithoutRetry() async throws {
        try await withSetUp({ call in
            call.model == "gemini-3.1-flash-lite-image"
                ? GeminiEmulator.textOnly("Which cat?") : GeminiEmulator.noImage()
        }) { s in
            let failure = try #require(await failure(s.provider, try request()))
            #expect(failure.reason == .noImage)
            #expect(failure.tried.map(\.model) == ["gemini-3.1-flash-lite-image", "gemini-nano-banana-2.1"])
            #expect(failure.tried.map(\.attempts) == [1, 1])
            #expect(failure.tried[0].error.contains("Which cat?"))
        }
    }

    // Real time on purpose: the provider with its real HTTP client against the fake API, where the request's
    // own deadline and the retry's wait share one clock. How long to wait is decided by RetryPolicy and
    // QuotaSchedule, which are tested on the manual clock (GeminiPolicyTests, QuotaScheduleTests).
    @Test func a429WaitsTheRetryDelayThenSucceeds() async throws {
        try await withSetUp({ call in
            call.number == 1
                ? GeminiEmulator.rateLimited(retryDelay: "1.2s")
                : GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg")
        }) { s in
            let started = ContinuousClock.now
            let image = try await s.provider.generate(try request())
            #expect(ContinuousClock.now - started >= .milliseconds(1200))
            #expect(image.attempts == 2)
            #expect(s.emulator.calls(to: "gemini-3.1-flash-lite-image") == 2)
        }
    }

    @Test func aPerDayQuotaRetiresTheModelUntilTomorrow() async throws {
        try await withSetUp({ call in
            call.model == "gemini-3.1-flash-lite-image"
                ? GeminiEmulator.rateLimited(retryDelay: "30s", perDay: true)
                : GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg")
        }) { s in
            let first = try await s.provider.generate(try request(scene: 1))
            #expect(first.model == "gemini-nano-banana-2.1")
            #expect(first.firstFailure == .quotaExhausted)
            #expect(first.tried.map(\.attempts) == [1])
            let second = try await s.provider.generate(try request(scene: 2))
            #expect(second.model == "gemini-nano-banana-2.1")
            #expect(second.tried.map(\.attempts) == [0], "no request to a spent model")
            #expect(s.emulator.calls(to: "gemini-3.1-flash-lite-image") == 1)
        }
    }

    @Test func serverErrorsAreRetriedExactlyAsConfigured() async throws {
        try await withSetUp({ call in
            call.number == 1 ? GeminiEmulator.unavailable() : GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg")
        }) { flaky in
            let image = try await flaky.provider.generate(try request())
            #expect(image.attempts == 2)

            try await withSetUp(retries: 2, { _ in GeminiEmulator.unavailable() }) { down in
                let failure = try #require(await failure(down.provider, try request()))
                #expect(failure.reason == .serverError)
                #expect(down.emulator.calls(to: "gemini-3.1-flash-lite-image") == 3)
                #expect(down.emulator.calls(to: "gemini-nano-banana-2.1") == 3)
                #expect(failure.tried.map(\.attempts) == [3, 3])
            }
        }
    }

    @Test func aMissingModelIsRetiredAndTheNextServes() async throws {
        try await withSetUp({ _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }) { s in
            // A first scene proves the key on a known model, so the unknown one meets its 404 on generateContent.
            _ = try await s.provider.generate(try request())
            let image = try await s.provider.generate(try request(model: "gemini-9-retired-image", scene: 2))
            #expect(image.model == "gemini-3.1-flash-lite-image")
            #expect(image.firstFailure == .modelNotFound)
            #expect(image.tried.first?.error.contains("is not found") == true)
            #expect(image.tried.first?.attempts == 1)
            _ = try await s.provider.generate(try request(model: "gemini-9-retired-image", scene: 3))
            #expect(
                s.server.generateRequests.filter { $0.path.contains("gemini-9") }.count == 1,
                "404 retires the model for the run"
            )
        }
    }

    @Test func aMissingModelFoundByTheKeyProbeIsNeverAskedForImages() async throws {
        try await withSetUp({ _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }) { s in
            let image = try await s.provider.generate(try request(model: "gemini-9-retired-image"))
            #expect(image.model == "gemini-3.1-flash-lite-image")
            #expect(image.firstFailure == .modelNotFound)
            #expect(image.tried.first?.error.contains("is not found") == true)
            #expect(s.server.requests.filter { $0.path.contains("gemini-9") }.map(\.method) == ["GET"])
        }
    }

    /// Without --request-timeout each request's deadline is the table's for its model and size, not the
    /// client's: here Lite's is cut to 300 ms and the client's is a minute.
    @Test func theTablesDeadlineForTheModelAndSizeApplies() async throws {
        var lite = try #require(ModelCatalog.builtIn["gemini-3.1-flash-lite-image"])
        lite.timeouts = ["1K": 0.3]
        try await withSetUp(
            retries: 0,
            timeout: .seconds(60),
            catalog: ModelCatalog.builtIn.merging([lite]),
            tableDeadlines: true,
            { call in
                GeminiEmulator.image(
                    Self.jpeg,
                    mimeType: "image/jpeg",
                    delay: call.model == "gemini-3.1-flash-lite-image" ? .seconds(5) : .zero
                )
            }
        ) { s in
            let image = try await s.provider.generate(try request())
            #expect(image.model == "gemini-nano-banana-2.1", "2.1 keeps its 60 s and answers")
            #expect(image.firstFailure == .timeout)
            #expect(image.tried.map(\.model) == ["gemini-3.1-flash-lite-image"])
        }
    }

    @Test func slowMalformedTruncatedAndOversizedAnswersFallThrough() async throws {
        let request = try request()
        try await withSetUp(
            retries: 0,
            timeout: .milliseconds(300),
            { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg", delay: .seconds(2)) }
        ) { slow in
            #expect(await failure(slow.provider, request)?.reason == .timeout)
        }
        try await withSetUp({ _ in FakeResponse(status: 200, body: Array(#"{"candidates": [{"content": "#.utf8)) }) {
            malformed in
            let m = try #require(await failure(malformed.provider, request))
            #expect(m.reason == .serverError)
            #expect(malformed.server.generateRequests.count == 2, "one per model, not retried")
        }
        try await withSetUp({ _ in
            GeminiEmulator.image(Array(Self.jpeg.prefix(Self.jpeg.count / 2)), mimeType: "image/jpeg")
        }) { truncated in
            #expect(await failure(truncated.provider, request)?.reason == .invalidImage)
        }
        try await withSetUp(maxBody: 10_000, { _ in GeminiEmulator.image(Self.png) }) { huge in
            #expect(await failure(huge.provider, request)?.reason == .serverError)
        }
    }

    @Test func anInvalidKeyIsSentOnceAndDisablesTheProvider() async throws {
        try await withSetUp(key: "not-the-key", { _ in GeminiEmulator.image(Self.jpeg) }) { s in
            for scene in 1...3 {
                let failure = try #require(await failure(s.provider, try request(scene: scene)))
                #expect(failure.reason == .invalidAPIKey)
            }
            #expect(s.server.requests.count == 1, "the bad key was sent once")
        }
    }

    @Test func scenesInParallelStillSendABadKeyOnce() async throws {
        try await withSetUp(key: "not-the-key", { _ in GeminiEmulator.image(Self.jpeg) }) { s in
            let provider = s.provider
            let reasons = try await withThrowingTaskGroup(of: FallbackReason?.self) { group in
                for scene in 1...6 {
                    let request = try request(scene: scene)
                    group.addTask { await failure(provider, request)?.reason }
                }
                return try await group.reduce(into: [FallbackReason?]()) { $0.append($1) }
            }
            #expect(reasons == Array(repeating: .invalidAPIKey, count: 6))
            #expect(s.server.requests.count == 1, "the bad key was sent once, by the probe")
            #expect(s.server.generateRequests.isEmpty)
        }
    }

    @Test func aGoodKeyIsProvenOnceThenScenesGoInParallel() async throws {
        try await withSetUp({ _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg", delay: .milliseconds(300)) })
        { s in
            let provider = s.provider
            let models = try await withThrowingTaskGroup(of: String?.self) { group in
                for scene in 1...6 {
                    let request = try request(scene: scene)
                    group.addTask { try? await provider.generate(request).model }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(models.allSatisfy { $0 == "gemini-3.1-flash-lite-image" })
            #expect(s.server.generateRequests.count == 6)
        }
    }

    @Test func aCachedImageMakesNoRequestAndCostsNothing() async throws {
        try await withTemporaryDirectory { dir in
            try await withSetUp(
                cache: ImageCache(directory: dir + "/cache"),
                { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
            ) { s in
                let first = try await s.provider.generate(try request())
                #expect(!first.cacheHit)
                #expect(first.costUSD == 0.0336)
                let second = try await s.provider.generate(try request())
                #expect(second.cacheHit)
                #expect(second.costUSD == 0)
                #expect(second.attempts == 0)
                #expect(second.bytes == first.bytes)
                #expect(s.server.generateRequests.count == 1)
                // Another quality (so another model and size) is another entry.
                _ = try await s.provider.generate(try request(quality: "production"))
                #expect(s.server.generateRequests.count == 2)
            }
        }
    }

    /// A cache on a shared volume: another user replaces an entry with an image of their own (a valid one, of
    /// the right size). It is not published as a free cache hit: it is discarded and the scene generated again.
    /// An entry without its digest (left by an older version, or a digest removed) is not trusted either.
    @Test func aReplacedCacheEntryIsDiscardedAndTheSceneGenerated() async throws {
        try await withTemporaryDirectory { dir in
            try await withSetUp(
                cache: ImageCache(directory: dir + "/cache"),
                { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
            ) { s in
                let first = try await s.provider.generate(try request())
                #expect(!first.cacheHit)
                let entries = cacheFiles(dir + "/cache")
                let entry = try #require(entries.first { !$0.hasSuffix(".sha256") })
                #expect(entries.contains(entry + ".sha256"))

                let foreign = try PlaceholderCard(
                    sceneNumber: 9,
                    prompt: "not yours",
                    style: "minimal",
                    width: 128,
                    height: 72,
                    format: .png
                ).render()
                #expect(foreign != first.bytes)
                try writeFile(entry, foreign)
                let second = try await s.provider.generate(try request())
                #expect(!second.cacheHit)
                #expect(second.bytes == first.bytes)
                #expect(s.server.generateRequests.count == 2)

                // Stored again with its digest: a hit now.
                #expect(try await s.provider.generate(try request()).cacheHit)
                #expect(s.server.generateRequests.count == 2)

                #expect(unlink(entry + ".sha256") == 0)
                #expect(!(try await s.provider.generate(try request())).cacheHit)
                #expect(s.server.generateRequests.count == 3)
            }
        }
    }

    /// Every regular file below `path`.
    func cacheFiles(_ path: String) -> [String] {
        listNames(path, hidden: true).flatMap { name -> [String] in
            let child = path + "/" + name
            return (try? FileSystem.info(child))?.kind == .directory ? cacheFiles(child) : [child]
        }
    }

    @Test func cacheKeysSeparateEveryIngredient() {
        let base = ImageCache.Key(
            model: "m",
            prompt: "p",
            aspectRatio: "16:9",
            imageSize: "1K",
            format: .png,
            width: 1920,
            height: 1080
        )
        var variants = [base]
        var k = base
        k.model = "n"
        variants.append(k)
        k = base
        k.prompt = "p2"
        variants.append(k)
        k = base
        k.aspectRatio = "1:1"
        variants.append(k)
        k = base
        k.imageSize = "2K"
        variants.append(k)
        k = base
        k.imageSize = nil
        variants.append(k)
        k = base
        k.format = .jpeg
        variants.append(k)
        k = base
        k.width = 1280
        k.height = 720
        variants.append(k)
        // Concatenation cannot collide: "ab"+"c" is not "a"+"bc".
        var a = base
        a.model = "ab"
        a.prompt = "c"
        variants.append(a)
        var b = base
        b.model = "a"
        b.prompt = "bc"
        variants.append(b)
        #expect(Set(variants.map { $0.digest }).count == variants.count)
        #expect(
            base.digest
                == ImageCache.Key(
                    model: "m",
                    prompt: "p",
                    aspectRatio: "16:9",
                    imageSize: "1K",
                    format: .png,
                    width: 1920,
                    height: 1080
                ).digest
        )
    }

    @Test func paidCallsAreRecordedAndTheDailyBudgetStopsThem() async throws {
        try await withTemporaryDirectory { dir in
            let ledger = CostLedger(path: dir + "/ledger.jsonl")
            try await withSetUp(
                ledger: ledger,
                budget: 0.05,
                { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
            ) { s in
                _ = try await s.provider.generate(try request(scene: 1))
                _ = try await s.provider.generate(try request(scene: 2))  // 0.0336 spent: still under 0.05
                let failure = try #require(await failure(s.provider, try request(scene: 3)))
                #expect(failure.reason == .budgetExceeded)
                #expect(s.server.generateRequests.count == 2)
                let lines = (readText(dir + "/ledger.jsonl") ?? "").split(separator: "\n")
                #expect(lines.count == 2)
                #expect(lines.first?.contains("\"cost_usd\":0.0336") == true)
                #expect(abs(await ledger.spentToday(now: Date().timeIntervalSince1970) - 0.0672) < 1e-9)
            }
        }
    }

    /// No network: the first scene finds out (its key probe, retried as configured), every other scene
    /// in flight falls back at once with the same cause, and no scene tries a second model.
    @Test func anUnreachableEndpointIsDiscoveredOnceForAllScenes() async throws {
        let gone = try await FakeGeminiServer.start { _ in GeminiEmulator.image(Self.jpeg) }
        let closedURL = gone.baseURL
        await gone.shutdown()
        let (failures, later) = try await APITransport.withHTTPClient { http in
            let client = GeminiClient(http: http, baseURL: closedURL, key: APIKey(GeminiEmulator.validKey)!)
            // The endpoint is probed again `reprobeAfter` after it was found down. On real time, the default 30 s
            // could pass while a loaded CI machine starves this test, and every scene would probe (it did once, 18
            // attempts). An hour keeps the verdict for the whole test; re-probing is tested on its own.
            let state = ProviderState(requestsPerMinute: nil, reprobeAfter: 3600)
            let provider = ModelProvider(
                api: client,
                policy: RetryPolicy(maxRetries: 2, baseDelay: 0.01, maxDelay: 0.05, jitter: 0),
                state: state,
                logger: Logger(label: "test"),
                now: { Date().timeIntervalSince1970 }
            )
            let failures = await withTaskGroup(of: ProviderFailure?.self) { group in
                for scene in 1...6 {
                    group.addTask { [self] in await failure(provider, try! request(scene: scene)) }
                }
                return await group.reduce(into: [ProviderFailure]()) { if let f = $1 { $0.append(f) } }
            }
            // A scene after them still falls back without a request while the endpoint is known to be down.
            return (failures, await failure(provider, try request(scene: 7)))
        }
        #expect(failures.count == 6)
        #expect(failures.allSatisfy { $0.reason == .networkError })
        #expect(failures.allSatisfy { $0.tried.count == 1 }, "no second model is tried against an unreachable endpoint")
        #expect(failures.allSatisfy { $0.message.contains("connection refused") }, "\(failures.map(\.message))")
        // One scene probed (1 + 2 retries); the others sent nothing.
        #expect(failures.map { $0.tried.map(\.attempts).reduce(0, +) }.reduce(0, +) == 3)
        let laterFailure = try #require(later)
        #expect(laterFailure.reason == .networkError)
        #expect(laterFailure.tried.first?.attempts == 0)
    }
}

extension ModelProvider {
    /// One call as the chain makes it, with permits to spare.
    func generate(_ request: ImageRequest) async throws(ProviderFailure) -> ProviderResult {
        try await generate(request, phases: ProviderPhases(limiter: ConcurrencyLimiter(limit: 64)))
    }
}

extension ProviderResult {
    var model: String? { image.model }
    var costUSD: Double { image.costUSD }
    var attempts: Int { image.attempts }
    var bytes: [UInt8] { image.bytes }
    var cacheHit: Bool { image.cacheHit }
    var imageSize: String? { image.imageSize }
    var enhancedPrompt: String { image.enhancedPrompt }
}
