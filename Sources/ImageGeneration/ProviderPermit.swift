import Synchronization

/// One provider call's hold on the daemon's `--concurrency` limit.
///
/// A provider whose answer is in and has only CPU work left (decode, check, resize, encode) gives the
/// permit back the moment that work starts on a CPU, so the next request goes out while this image is
/// processed: network waits and CPU work overlap instead of adding up. An answer still waiting for a
/// CPU keeps its permit, so a slow CPU throttles requests rather than piling answers up in memory.
public final class ProviderPermit: Sendable {
    /// The permit of the provider call running in this task, set by the chain.
    @TaskLocal public static var current: ProviderPermit?

    private let limiter: ConcurrencyLimiter
    private let held = Mutex(true)

    init(limiter: ConcurrencyLimiter) {
        self.limiter = limiter
    }

    /// Gives the permit back now; any thread, any number of times.
    public func releaseEarly() {
        if take() {
            let limiter = self.limiter
            Task { await limiter.release() }
        }
    }

    /// Takes a permit again before another request (a next model after an unusable image).
    public func ensureHeld() async throws {
        guard !held.withLock({ $0 }) else { return }
        try await limiter.acquire()
        held.withLock { $0 = true }
    }

    func releaseAtEnd() async {
        if take() { await limiter.release() }
    }

    private func take() -> Bool {
        held.withLock { held in
            defer { held = false }
            return held
        }
    }
}
