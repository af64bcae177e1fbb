import ImageGeneration
import SceneManifest
import Testing

@Suite struct ModelPlanTests {
    let catalog = ModelCatalog.builtIn

    @Test func draftIsLiteThen21At1K() {
        let plan = ModelPlan(
            quality: .draft,
            manifestModel: nil,
            aspectRatio: "16:9",
            width: 1920,
            height: 1080,
            catalog: catalog
        )
        #expect(
            plan.steps == [
                .init(
                    model: "gemini-3.1-flash-lite-image",
                    imageSize: "1K",
                    pricePerImage: 0.0336,
                    batchPricePerImage: 0.0168,
                    timeout: 60,
                    tokenPrices: .init(imageOutput: 30, textOutput: 3, input: 0.5)
                ),
                .init(
                    model: "gemini-nano-banana-2.1",
                    imageSize: "1K",
                    pricePerImage: 0.0336,
                    batchPricePerImage: 0.0168,
                    timeout: 60,
                    tokenPrices: .init(imageOutput: 30, textOutput: 7.5, input: 1.5)
                ),
            ]
        )
        #expect(plan.skipped.isEmpty)
    }

    @Test func productionUsesTheSmallestSizeCoveringTheTarget() {
        let hd = ModelPlan(
            quality: .production,
            manifestModel: nil,
            aspectRatio: "16:9",
            width: 1920,
            height: 1080,
            catalog: catalog
        )
        #expect(hd.steps.map(\.model) == ["gemini-3-pro-image", "gemini-nano-banana-2.1"])
        #expect(hd.steps.map(\.imageSize) == ["2K", "2K"])
        #expect(hd.steps.map(\.pricePerImage) == [0.134, 0.0504])
        #expect(hd.steps.map(\.timeout) == [120, 90], "Pro and 2K answers take longer than the seed's 60 s")
        let small = ModelPlan(
            quality: .production,
            manifestModel: nil,
            aspectRatio: "16:9",
            width: 640,
            height: 360,
            catalog: catalog
        )
        #expect(small.steps.map(\.imageSize) == ["1K", "1K"], "2.1 has no 512")
        let deprecated = ModelPlan(
            quality: .production,
            manifestModel: "gemini-3.1-flash-image",
            aspectRatio: "16:9",
            width: 640,
            height: 360,
            catalog: catalog
        )
        #expect(deprecated.steps.first?.imageSize == "512", "a deprecated model named by a manifest is still used")
        let huge = ModelPlan(
            quality: .production,
            manifestModel: nil,
            aspectRatio: "1:1",
            width: 8000,
            height: 8000,
            catalog: catalog
        )
        #expect(huge.steps.map(\.imageSize) == ["4K", "4K"], "the largest when none covers")
    }

    @Test func aManifestModelGoesFirstOnce() {
        let plan = ModelPlan(
            quality: .draft,
            manifestModel: "gemini-3.1-flash-image",
            aspectRatio: "1:1",
            width: 1024,
            height: 1024,
            catalog: catalog
        )
        #expect(
            plan.steps.map(\.model) == [
                "gemini-3.1-flash-image", "gemini-3.1-flash-lite-image", "gemini-nano-banana-2.1",
            ]
        )
        let old = ModelPlan(
            quality: .draft,
            manifestModel: "gemini-2.5-flash-image",
            aspectRatio: "16:9",
            width: 1920,
            height: 1080,
            catalog: catalog
        )
        #expect(
            old.steps.first
                == .init(
                    model: "gemini-2.5-flash-image",
                    imageSize: nil,
                    pricePerImage: 0.039,
                    batchPricePerImage: 0.0195,
                    timeout: 60,
                    tokenPrices: .init(imageOutput: 30, textOutput: 2.5, input: 0.3)
                ),
            "no imageSize for a model without size control"
        )
        let unknown = ModelPlan(
            quality: .draft,
            manifestModel: "nano-banana-9",
            aspectRatio: "16:9",
            width: 1920,
            height: 1080,
            catalog: catalog
        )
        #expect(unknown.steps.first == .init(model: "nano-banana-9", imageSize: nil, pricePerImage: nil))
    }

    @Test func unsupportedAspectRatiosAreSkippedWithAReason() {
        let lite = ModelSpec(
            id: "narrow",
            aspectRatios: ["1:1"],
            imageSizes: ["1K"],
            outputs: ["1K": ["1:1": .init(1024, 1024)]],
            pricePerImage: ["1K": 0.01]
        )
        let custom = catalog.merging([lite])
        let plan = ModelPlan(
            quality: .draft,
            manifestModel: "narrow",
            aspectRatio: "21:9",
            width: 1920,
            height: 823,
            catalog: custom
        )
        #expect(plan.steps.map(\.model) == ["gemini-3.1-flash-lite-image", "gemini-nano-banana-2.1"])
        #expect(plan.skipped.map(\.model) == ["narrow"])
        #expect(plan.skipped.first?.reason.contains("21:9") == true)
    }
}

@Suite struct PromptEnhancerTests {
    @Test func tc4CatWithCoffee() {
        let text = PromptEnhancer.enhance(
            prompt: "cat with coffee",
            style: .cinematic,
            quality: .draft,
            aspectRatio: "16:9",
            negative: nil
        )
        #expect(text.hasPrefix("cat with coffee."))
        #expect(text.lowercased().contains("cinematic"))
        #expect(text.lowercased().contains("4k") || text.lowercased().contains("high quality"))
        #expect(text.contains("16:9") || text.contains("widescreen"))
        #expect(!text.contains("Avoid"))
    }

    @Test func negativePromptIsFoldedIn() {
        let text = PromptEnhancer.enhance(
            prompt: "a busy street.",
            style: .photorealistic,
            quality: .production,
            aspectRatio: "9:16",
            negative: "cars, text, "
        )
        #expect(text.hasPrefix("a busy street. photorealistic"))
        #expect(text.contains("4K"))
        #expect(text.contains("9:16 vertical composition"))
        #expect(text.hasSuffix("Avoid: cars, text."))
    }

    @Test func everyStyleHasItsOwnModifiers() {
        let texts = ImageStyle.allCases.map {
            PromptEnhancer.enhance(prompt: "x", style: $0, quality: .draft, aspectRatio: "1:1", negative: nil)
        }
        #expect(Set(texts).count == ImageStyle.allCases.count)
    }
}

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxRetries: 2, baseDelay: 1, maxDelay: 30, jitter: 0.2)

    @Test func serverErrorsAreRetriedWithExponentialBackoffThenGiveUp() {
        let failure = RetryPolicy.Failure.http(status: 503, message: "UNAVAILABLE")
        #expect(policy.decide(failure, attempts: 1, random: 0.5) == .retry(after: 1))
        #expect(policy.decide(failure, attempts: 2, random: 0.5) == .retry(after: 2))
        #expect(policy.decide(failure, attempts: 3, random: 0.5) == .giveUp(.serverError, .request))
    }

    @Test func jitterSpreadsTheDelay() {
        let failure = RetryPolicy.Failure.timeout
        #expect(policy.decide(failure, attempts: 2, random: 0) == .retry(after: 1.6))
        #expect(policy.decide(failure, attempts: 2, random: 0.999_999).retryDelay! < 2.4 + 1e-6)
        #expect(policy.decide(failure, attempts: 3, random: 0.5) == .giveUp(.timeout, .request))
    }

    @Test func a429WaitsAtLeastTheServersRetryDelay() {
        let failure = RetryPolicy.Failure.http(status: 429, message: "RESOURCE_EXHAUSTED", retryDelay: 17)
        #expect(policy.decide(failure, attempts: 1, random: 0.5) == .retry(after: 17))
        #expect(policy.decide(failure, attempts: 3, random: 0.5) == .giveUp(.rateLimited, .request))
    }

    @Test func aPerDayQuotaIsNeverRetried() {
        let failure = RetryPolicy.Failure.http(
            status: 429,
            message: "RESOURCE_EXHAUSTED",
            retryDelay: 5,
            quotaPerDay: true
        )
        #expect(policy.decide(failure, attempts: 1, random: 0.5) == .giveUp(.quotaExhausted, .modelUntilDailyReset))
    }

    @Test func finalAnswersAreNotRetried() {
        #expect(
            policy.decide(.http(status: 404, message: "NOT_FOUND"), attempts: 1, random: 0)
                == .giveUp(.modelNotFound, .modelForRun)
        )
        #expect(
            policy.decide(.http(status: 400, message: "bad key", reason: "API_KEY_INVALID"), attempts: 1, random: 0)
                == .giveUp(.invalidAPIKey, .providerForRun)
        )
        #expect(
            policy.decide(.http(status: 403, message: "PERMISSION_DENIED"), attempts: 1, random: 0)
                == .giveUp(.invalidAPIKey, .providerForRun)
        )
        #expect(
            policy.decide(.http(status: 400, message: "Unknown name"), attempts: 1, random: 0)
                == .giveUp(.serverError, .request)
        )
        #expect(policy.decide(.invalidResponse("not JSON"), attempts: 1, random: 0) == .giveUp(.serverError, .request))
    }

    @Test func networkFailuresAreRetriedThenGiveUpAsNetworkErrors() {
        #expect(policy.decide(.unreachable("refused"), attempts: 1, random: 0.5) == .retry(after: 1))
        // An endpoint that cannot be reached is so for every scene and model, not for this request only.
        #expect(policy.decide(.unreachable("refused"), attempts: 3, random: 0.5) == .giveUp(.networkError, .endpoint))
        #expect(policy.decide(.connection("reset"), attempts: 3, random: 0.5) == .giveUp(.networkError, .request))
    }

    @Test func anUnreachableEndpointIsLearntOnceAndProbedAgainLater() {
        var admission = ModelAdmission(requestsPerMinute: nil, reprobeAfter: 30)
        let ask = ModelAdmission.Ask(model: "m")
        func decide(_ now: Double) -> ModelAdmission.Decision {
            admission.decide(ask, now: now, wallNow: 1_795_000_000 + now)
        }
        func verdict(_ answer: APIAnswer, _ now: Double) -> ModelAdmission.GateChange {
            admission.probeVerdict(answer, model: "m", message: nil, now: now, wallNow: 1_795_000_000 + now).change
        }
        let first = decide(0)
        #expect(first == .probe)
        // Everyone else waits for that one probe's verdict.
        let second = decide(0)
        #expect(second == .awaitProbe)
        #expect(verdict(.failure(.unreachable("cannot connect to x:1: connection refused")), 0) == .wentDown)
        // Within the window every caller falls back at once, with the cause.
        #expect(
            decide(29) == .fallBack(.networkError, message: "cannot connect to x:1: connection refused", stopHere: true)
        )
        // A request in flight that fails the same way is no news.
        let again = admission.markUnreachable("cannot connect to x:1: connection refused", now: 29)
        #expect(again == .none)
        // After it, one caller probes again; still down is still no news, and the window starts over.
        #expect(decide(60) == .probe)
        #expect(verdict(.failure(.unreachable("still refused")), 60) == .none)
        #expect(decide(89) == .fallBack(.networkError, message: "still refused", stopHere: true))
        #expect(decide(91) == .probe)
        #expect(verdict(.noImage(.noImage, message: "model m is available"), 91) == .cameBack)
        #expect(decide(92) == .send)
    }

    /// One decision holds every rule, in order: a disabled key beats everything, a retired model falls
    /// back without a request, the budget stops paid requests, the quota line and the rate bucket
    /// make the caller wait, and a reserved turn is not taken twice.
    @Test func oneDecisionHoldsEveryRule() {
        var admission = ModelAdmission(requestsPerMinute: 60, reprobeAfter: 30)
        let wall = 1_795_000_000.0
        func decide(_ ask: ModelAdmission.Ask, _ now: Double, wallNow: Double = wall) -> ModelAdmission.Decision {
            admission.decide(ask, now: now, wallNow: wallNow)
        }
        func apply(_ scope: RetryPolicy.Scope, _ reason: FallbackReason, _ message: String) -> Bool {
            admission.apply(scope, reason: reason, model: "m", message: message, wallNow: wall)
        }
        #expect(decide(.init(model: "m"), 0) == .probe)
        _ = admission.probeVerdict(.noImage(.noImage, message: "ok"), model: "m", message: nil, now: 0, wallNow: wall)
        #expect(decide(.init(model: "m"), 0) == .send)
        // 60 a minute: the next turn is a second later, reserved for this caller.
        #expect(decide(.init(model: "m"), 0.25) == .wait(until: 1, holdsTurn: true))
        #expect(decide(.init(model: "m", holdsTurn: true), 1) == .send)
        // A per-minute 429 puts callers in the quota line (asked under a permit, apart from this decision)
        // until the window the API named ends.
        var quota = QuotaSchedule()
        #expect(quota.admit("m", ticket: nil, now: 1) == .send)
        quota.succeeded("m", now: 1)
        #expect(quota.admit("m", ticket: nil, now: 1.5) == .send)
        quota.refused("m", retryDelay: 8, now: 2)
        // (The window ends 20 ms after the API's word, for answers that come a little late.)
        #expect(quota.admit("m", ticket: nil, now: 3) == .wait(until: 10.02, ticket: 1))
        #expect(quota.admit("m", ticket: nil, now: 4) == .wait(until: 10.02, ticket: 2))
        #expect(quota.admit("m", ticket: 2, now: 10.02) == .awaitWindow(ticket: 2), "the first in line goes first")
        #expect(quota.admit("m", ticket: 1, now: 10.02) == .send)
        // The budget stops paid requests.
        guard case .fallBack(.budgetExceeded, _, true) = decide(.init(model: "m", spentToday: 1, dailyBudget: 1), 20)
        else {
            Issue.record("a spent budget did not stop the request")
            return
        }
        // A per-day quota retires the model until the next Pacific midnight (wall time), not for good.
        let retired = ModelAdmission.Decision.fallBack(
            .quotaExhausted,
            message: "m is not used again in this run or today (quota_exhausted)",
            stopHere: false
        )
        #expect(!apply(.modelUntilDailyReset, .quotaExhausted, "spent"))
        #expect(decide(.init(model: "m"), 20) == retired)
        #expect(decide(.init(model: "m"), 20, wallNow: PacificTime.nextMidnight(after: wall)) != retired)
        // A refused key disables the provider once, with the API's words, and beats every other rule.
        #expect(apply(.providerForRun, .invalidAPIKey, "API key not valid"))
        #expect(!apply(.providerForRun, .invalidAPIKey, "again"))
        #expect(
            decide(.init(model: "other"), 30) == .fallBack(.invalidAPIKey, message: "API key not valid", stopHere: true)
        )
    }

    /// The page's provider conditions: what holds requests back, in words, and until when.
    @Test func conditionsSayWhatLimitsRequestsAndUntilWhen() {
        var admission = ModelAdmission(requestsPerMinute: nil, reprobeAfter: 30)
        #expect(admission.conditions(now: 100, wallNow: 1_000).isEmpty)
        var quota = QuotaSchedule()
        quota.succeeded("flash", now: 99)
        quota.refused("flash", retryDelay: 12, now: 100)
        #expect(
            quota.describe(now: 100) == ["flash is at its per-minute quota: 0 waiting, its quota window ends in 13 s"]
        )
        #expect(quota.describe(now: 113).isEmpty, "a window that ended holds nothing back")
        _ = admission.apply(
            .modelForRun,
            reason: .modelNotFound,
            model: "gone",
            message: "models/gone is not found",
            wallNow: 1_000
        )
        _ = admission.apply(
            .modelUntilDailyReset,
            reason: .quotaExhausted,
            model: "pro",
            message: "per-day quota",
            wallNow: 1_000
        )
        #expect(
            admission.conditions(now: 100, wallNow: 1_000) == [
                "gone is not used again in this run (model_not_found)",
                "pro is retired until 1970-01-01T08:00:00Z (quota_exhausted)",
            ]
        )
        // A retirement whose day is over is not a condition any more.
        #expect(
            admission.conditions(now: 113, wallNow: 86_400) == ["gone is not used again in this run (model_not_found)"]
        )
        _ = admission.markUnreachable("connection refused", now: 113)
        _ = admission.apply(
            .providerForRun,
            reason: .invalidAPIKey,
            model: "flash",
            message: "API key not valid",
            wallNow: 1_000
        )
        let lines = admission.conditions(now: 120, wallNow: 86_400)
        #expect(lines.first == "Gemini is off for this run: API key not valid")
        #expect(lines.contains("the Gemini API cannot be reached (connection refused); trying again in 23 s"))
    }

    /// A prober cancelled before its verdict hands the probe to the next caller instead of leaving
    /// everyone waiting.
    @Test func anAbandonedProbePassesToTheNextCaller() {
        var admission = ModelAdmission(requestsPerMinute: nil)
        let decisions = [
            admission.decide(.init(model: "m"), now: 0, wallNow: 0),
            admission.decide(.init(model: "m"), now: 0, wallNow: 0),
        ]
        #expect(decisions == [.probe, .awaitProbe])
        admission.abandonProbe()
        let next = admission.decide(.init(model: "m"), now: 0, wallNow: 0)
        #expect(next == .probe)
    }

    @Test func connectionErrorsAndTimeoutsAreRetried() {
        #expect(policy.decide(.connection("refused"), attempts: 1, random: 0.5) == .retry(after: 1))
        #expect(policy.decide(.http(status: 408, message: "timeout"), attempts: 1, random: 0.5) == .retry(after: 1))
        let none = RetryPolicy(maxRetries: 0)
        #expect(none.decide(.timeout, attempts: 1, random: 0.5) == .giveUp(.timeout, .request))
    }
}

extension RetryPolicy.Decision {
    var retryDelay: Double? {
        if case .retry(let after) = self { return after }
        return nil
    }
}

@Suite struct TokenBucketTests {
    @Test func requestsBeyondTheRateWaitTheirTurn() {
        var bucket = TokenBucket(perMinute: 60, burst: 2, now: 0)
        #expect(bucket.take(now: 0) == 0)
        #expect(bucket.take(now: 0) == 0)
        #expect(bucket.take(now: 0) == 1)
        #expect(bucket.take(now: 0) == 2)
        // Later, the debt has been paid back and the bucket refilled up to its burst.
        #expect(bucket.take(now: 10) == 0)
        #expect(bucket.take(now: 10) == 0)
        #expect(bucket.take(now: 10) == 1)
    }

    @Test func slowRatesSpaceRequestsOut() {
        var bucket = TokenBucket(perMinute: 6, now: 100)
        #expect(bucket.take(now: 100) == 0)
        #expect(abs(bucket.take(now: 104) - 6) < 1e-9)
    }
}

@Suite struct ModelHealthTests {
    @Test func retirementsLastForTheRunOrUntilTheDailyQuotaResets() {
        var health = ModelHealth()
        let now = 1_795_000_000.0  // 2026-11-18T11:06:40Z
        health.apply(.modelForRun, reason: .modelNotFound, model: "gone", now: now)
        health.apply(.modelUntilDailyReset, reason: .quotaExhausted, model: "spent", now: now)
        health.apply(.request, reason: .serverError, model: "fine", now: now)
        #expect(health.availability(of: "gone", wallNow: now + 1e7) == .retired(.modelNotFound))
        // 2026-11-19T00:00:00-08:00
        #expect(PacificTime.nextMidnight(after: now) == 1_795_075_200)
        #expect(health.availability(of: "spent", wallNow: 1_795_075_199) == .retired(.quotaExhausted))
        #expect(health.availability(of: "spent", wallNow: 1_795_075_200) == .available)
        #expect(health.availability(of: "fine", wallNow: now) == .available)
        #expect(health.providerDisabled == nil)
        health.apply(.providerForRun, reason: .invalidAPIKey, model: "any", now: now)
        #expect(health.providerDisabled == .invalidAPIKey)
    }
}

@Suite struct PacificTimeTests {
    /// Per-day quotas reset at midnight Pacific time: summer and winter, both changes of the clocks, a new year.
    @Test func nextMidnightFollowsDaylightSavingTime() {
        // 2026-07-01 05:00 PDT → 07-02 00:00 PDT
        #expect(PacificTime.nextMidnight(after: 1_782_907_200) == 1_782_975_600)
        // 03-07 23:59:59 PST → 03-08 00:00 PST
        #expect(PacificTime.nextMidnight(after: 1_772_956_799) == 1_772_956_800)
        // 03-08 01:00 PST, clocks go forward → 03-09 00:00 PDT
        #expect(PacificTime.nextMidnight(after: 1_772_960_400) == 1_773_039_600)
        // 11-01 01:30 PDT, clocks go back → 11-02 00:00 PST
        #expect(PacificTime.nextMidnight(after: 1_793_521_800) == 1_793_606_400)
        // 12-31 15:00 PST → 2027-01-01 00:00 PST
        #expect(PacificTime.nextMidnight(after: 1_798_758_000) == 1_798_790_400)
        // 12-30 23:59 PST → 12-31 00:00 PST
        #expect(PacificTime.nextMidnight(after: 1_798_703_940) == 1_798_704_000)
        #expect(PacificTime.offset(at: 1_782_907_200) == -7 * 3600)
        #expect(PacificTime.offset(at: 1_795_000_000) == -8 * 3600)
    }
}

/// Chain links (contract §11): `provider:model`, a bare id meaning the model's own vendor.
@Suite struct ChainLinkTests {
    let catalog = ModelCatalog.builtIn

    @Test func linksNameTheirProviderOrTakeTheModelsOwn() {
        #expect(catalog.link("vertex:gemini-3-pro-image") == ChainLink(provider: "vertex", model: "gemini-3-pro-image"))
        #expect(catalog.link("gemini-3-pro-image") == ChainLink(provider: "gemini", model: "gemini-3-pro-image"))
        #expect(catalog.problem(with: "vertex:gemini-nano-banana-2.1") == nil)
        #expect(catalog.problem(with: "gemini:gemini-nano-banana-2.1") == nil)
        #expect(catalog.problem(with: "openai:gemini-3-pro-image")?.contains("served by gemini or vertex") == true)
        #expect(catalog.problem(with: "gemini:no-such-model")?.contains("not in the model table") == true)
    }

    @Test func eachStepCarriesItsProvider() {
        var catalog = catalog
        catalog.productionChain = ["vertex:gemini-3-pro-image", "gemini-nano-banana-2.1"]
        let plan = ModelPlan(
            quality: .production,
            manifestModel: "gemini-3.1-flash-image",
            aspectRatio: "16:9",
            width: 1920,
            height: 1080,
            catalog: catalog
        )
        #expect(
            plan.steps.map { "\($0.provider):\($0.model)" } == [
                "gemini:gemini-3.1-flash-image", "vertex:gemini-3-pro-image", "gemini:gemini-nano-banana-2.1",
            ]
        )
        let named = ModelPlan(
            quality: .production,
            manifestModel: "gemini-3-pro-image",
            aspectRatio: "16:9",
            width: 1920,
            height: 1080,
            catalog: catalog
        )
        #expect(named.steps.first?.provider == "vertex", "a manifest's model keeps the provider its chain link names")
        #expect(named.steps.count == 2)
    }
}
