import ImageGeneration
import Imaging
import Logging
import SceneManifest
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A provider that fails with a chosen reason, or succeeds by delegating to the placeholder, and
/// records how many calls overlapped.
final class ScriptedProvider: ImageProvider {
    let name: String
    let isReal = true
    let failure: FallbackReason?
    let inFlight = Atomic<Int>(0)
    let maximumInFlight = Atomic<Int>(0)
    let calls = Atomic<Int>(0)
    init(name: String, failure: FallbackReason?) {
        self.name = name
        self.failure = failure
    }

    func generate(_ request: ImageRequest, phases: ProviderPhases) async throws(ProviderFailure) -> ProviderResult {
        calls.add(1, ordering: .relaxed)
        // The "request": counted while it holds its network permit.
        do {
            try await phases.network { () async -> Void in
                let now = inFlight.add(1, ordering: .relaxed).newValue
                var seen = maximumInFlight.load(ordering: .relaxed)
                while now > seen,
                    !maximumInFlight.compareExchange(expected: seen, desired: now, ordering: .relaxed).exchanged
                {
                    seen = maximumInFlight.load(ordering: .relaxed)
                }
                await Task.yield()
                inFlight.subtract(1, ordering: .relaxed)
            }
        } catch {
            throw ProviderFailure(reason: .timeout, message: "cancelled", tried: [])
        }
        if let failure {
            let message = "scripted \(failure.rawValue)"
            throw ProviderFailure(
                reason: failure,
                message: message,
                tried: [ProviderAttempt(provider: name, model: "m-\(name)", error: message, attempts: 3)]
            )
        }
        var result = try await PlaceholderProvider().generate(request, phases: phases)
        result.image.model = "m-\(name)"
        return result
    }
}

/// A provider whose first call's answer is in and has only CPU work left: that work waits until a
/// second call's request has been sent. With `--concurrency 1` the second request can only go out if
/// the permit really went back when the CPU work started.
final class EarlyReleasingProvider: ImageProvider {
    let name = "early"
    let isReal = true
    let calls = Atomic<Int>(0)
    let secondSent = Atomic<Bool>(false)

    func generate(_ request: ImageRequest, phases: ProviderPhases) async throws(ProviderFailure) -> ProviderResult {
        let call = calls.add(1, ordering: .relaxed).newValue
        let exchange = try? await phases.request({
            if call > 1 { self.secondSent.store(true, ordering: .releasing) }
            return call
        }) { (call: Int) -> (@Sendable () -> Bool)? in
            guard call == 1 else { return nil }
            return {
                // A deadline, not a delay: it returns as soon as the second request is out (a loaded
                // machine once needed more than 10 s for that). On a CPU thread, so it may block.
                let deadline = ContinuousClock.now + .seconds(60)
                while !self.secondSent.load(ordering: .acquiring), ContinuousClock.now < deadline { usleep(2_000) }
                return self.secondSent.load(ordering: .acquiring)
            }
        }
        guard let exchange else { throw ProviderFailure(reason: .timeout, message: "cancelled", tried: []) }
        if call == 1 { overlapped.store(exchange.processed == true, ordering: .releasing) }
        return try await PlaceholderProvider().generate(request, phases: phases)
    }

    /// Whether the second request went out while the first answer was being processed.
    let overlapped = Atomic<Bool>(false)
}

func request(scene: Int = 1) throws -> ImageRequest {
    ImageRequest(
        session: "s",
        sceneNumber: scene,
        prompt: "p",
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

@Suite struct ProviderChainTests {
    let logger = Logger(label: "test")

    @Test func anAnswersCPUWorkHoldsNoPermit() async throws {
        let provider = EarlyReleasingProvider()
        let chain = ProviderChain(providers: [provider])
        let limiter = ConcurrencyLimiter(limit: 1)
        async let first = chain.generate(try request(scene: 1), limiter: limiter, logger: logger)
        // The second call queues for the only permit; it gets it only through the early release.
        while provider.calls.load(ordering: .relaxed) == 0 { await Task.yield() }
        async let second = chain.generate(try request(scene: 2), limiter: limiter, logger: logger)
        _ = try await (first, second)
        let overlapped = provider.overlapped.load(ordering: .acquiring)
        #expect(overlapped, "the second call waited for the first to finish")
        // Released once each, never twice: the limiter is back to exactly one free permit.
        #expect(await limiter.inUse == 0)
        try await limiter.acquire()
        #expect(await limiter.inUse == 1)
    }

    @Test func emptyChainFallsBackWithTheConfiguredReason() async throws {
        let result = try await ProviderChain(providers: []).generate(
            try request(),
            limiter: ConcurrencyLimiter(limit: 1),
            logger: logger
        )
        #expect(result.provider == "placeholder")
        #expect(!result.isReal)
        #expect(result.fallback?.reason == .noAPIKey)
        #expect(result.fallback?.tried.isEmpty == true)
        #expect(try ImageInspector.check(result.image.bytes, width: 128, height: 72).format == .png)
    }

    @Test func firstProviderSuccessIsNoFallback() async throws {
        let chain = ProviderChain(providers: [ScriptedProvider(name: "a", failure: nil)])
        let result = try await chain.generate(try request(), limiter: ConcurrencyLimiter(limit: 1), logger: logger)
        #expect(result.provider == "a")
        #expect(result.fallback == nil)
        #expect(result.image.model == "m-a")
    }

    @Test func failuresAreRecordedInOrderAndTheFirstReasonWins() async throws {
        let chain = ProviderChain(providers: [
            ScriptedProvider(name: "a", failure: .rateLimited), ScriptedProvider(name: "b", failure: .serverError),
        ])
        let result = try await chain.generate(try request(), limiter: ConcurrencyLimiter(limit: 2), logger: logger)
        #expect(result.provider == "placeholder")
        #expect(result.fallback?.reason == .rateLimited)
        #expect(result.fallback?.tried.map(\.provider) == ["a", "b"])
        #expect(result.fallback?.tried.map(\.attempts) == [3, 3])
        #expect(result.fallback?.tried.first?.error == "scripted rate_limited")
    }

    @Test func aLaterProviderServesAfterAnEarlierOneFails() async throws {
        let chain = ProviderChain(providers: [
            ScriptedProvider(name: "a", failure: .modelNotFound), ScriptedProvider(name: "b", failure: nil),
        ])
        let result = try await chain.generate(try request(), limiter: ConcurrencyLimiter(limit: 2), logger: logger)
        #expect(result.provider == "b")
        #expect(result.fallback?.reason == .modelNotFound)
    }

    @Test func theLimiterBoundsCallsInFlightAcrossScenes() async throws {
        let provider = ScriptedProvider(name: "a", failure: nil)
        let chain = ProviderChain(providers: [provider])
        let limiter = ConcurrencyLimiter(limit: 3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for scene in 1...12 {
                group.addTask {
                    _ = try await chain.generate(try request(scene: scene), limiter: limiter, logger: logger)
                }
            }
            try await group.waitForAll()
        }
        #expect(provider.calls.load(ordering: .relaxed) == 12)
        #expect(provider.maximumInFlight.load(ordering: .relaxed) <= 3)
        #expect(await limiter.inUse == 0)
    }

    @Test func aCancelledWaiterLeavesTheQueue() async throws {
        let limiter = ConcurrencyLimiter(limit: 1)
        try await limiter.acquire()
        let waiter = Task { try await limiter.acquire() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        await limiter.release()
        #expect(await limiter.inUse == 0)
        try await limiter.acquire()
        #expect(await limiter.inUse == 1)
    }
}
