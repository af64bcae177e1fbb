import Synchronization
import SystemSupport

/// The two phases of a provider call, handed to the provider by the chain:
///
/// - the **network phase** (a request and its answer) holds one of the daemon's `--concurrency`
///   permits;
/// - the **CPU phase** (decode, check, resize, render) runs on the CPU threads and holds none.
///
/// `request(_:cpuWork:)` joins them for one answer: the permit is given back the moment the answer's
/// CPU work starts on a CPU thread, so the next request goes out while this image is processed
/// (network waits and CPU work overlap instead of adding up), and an answer still waiting for a CPU
/// keeps its permit (a slow CPU throttles requests rather than piling answers up in memory).
///
/// Both are shared fairly between sessions: permits and CPU turns go round-robin across sessions (`key`), so
/// a small session is never queued behind every scene of a big one.
package struct ProviderPhases: Sendable {
    let limiter: ConcurrencyLimiter
    /// Whose turn this is: the session, for round-robin across sessions.
    let key: String
    /// Where the provider says what the scene is doing (see `SceneProgress`).
    package let progress: @Sendable (SceneProgress) -> Void

    /// Turns on the CPU threads, one per thread, handed out round-robin across sessions. The CPU pool itself
    /// is first come, first served: 500 renders queued on it would be ahead of anything asked after them.
    static let cpuTurns = ConcurrencyLimiter(limit: WorkerThreads.cpu.threads)

    package init(
        limiter: ConcurrencyLimiter,
        key: String = "",
        progress: @escaping @Sendable (SceneProgress) -> Void = { _ in }
    ) {
        self.limiter = limiter
        self.key = key
        self.progress = progress
    }

    /// Network work holding one permit. Throws only when the task is cancelled while it waits for one.
    package func network<T: Sendable>(_ body: () async -> T) async throws(CancellationError) -> T {
        try await acquire()
        let value = await body()
        await limiter.release()
        return value
    }

    /// CPU work on the CPU threads in this session's turn, holding no permit. It runs even when the task is
    /// cancelled (then without waiting for a turn): some CPU work must still end in a value.
    package func cpu<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await Self.inCPUTurn(key: key, work)
    }

    /// `work` on the CPU threads once `key`'s turn comes (at once, without a turn, when the task is cancelled).
    static func inCPUTurn<T: Sendable>(key: String, _ work: @escaping @Sendable () -> T) async -> T {
        let turn = (try? await cpuTurns.acquire(key: key)) != nil
        let value = await WorkerThreads.cpu.run(work)
        if turn { await cpuTurns.release() }
        return value
    }

    /// CPU work in this session's turn, or nil when the task is cancelled before its turn comes: a render
    /// nobody will publish is not started (at shutdown, hundreds of them once held the daemon past its grace).
    package func cpuUnlessCancelled<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T? {
        await Self.cpuUnlessCancelled(key: key, work)
    }

    /// The same for CPU work outside a provider (a session's previews), in `key`'s turn.
    package static func cpuUnlessCancelled<T: Sendable>(key: String, _ work: @escaping @Sendable () -> T) async -> T? {
        guard (try? await Self.cpuTurns.acquire(key: key)) != nil else { return nil }
        guard !Task.isCancelled else {
            await Self.cpuTurns.release()
            return nil
        }
        let value = await WorkerThreads.cpu.run(work)
        await Self.cpuTurns.release()
        return value
    }

    /// One request: `send` holds a permit; `cpuWork(answer)` says what CPU work the answer needs (`nil`:
    /// none, the permit goes back at once). That work runs on the CPU threads and releases the permit
    /// as it starts.
    package func request<Answer: Sendable, Processed: Sendable>(
        _ send: () async -> Answer,
        cpuWork: (Answer) -> (@Sendable () -> Processed)?
    ) async throws(CancellationError) -> (answer: Answer, processed: Processed?) {
        try await acquire()
        let answer = await send()
        guard let work = cpuWork(answer) else {
            await limiter.release()
            return (answer, nil)
        }
        let permit = HeldPermit(limiter: limiter)
        let processed = await Self.inCPUTurn(key: key) {
            permit.release()
            return work()
        }
        return (answer, processed)
    }

    private func acquire() async throws(CancellationError) {
        do {
            try Task.checkCancellation()
            try await limiter.acquire(key: key)
        } catch {
            throw CancellationError()
        }
    }
}

/// A permit given back from a CPU thread, exactly once.
private final class HeldPermit: Sendable {
    private let limiter: ConcurrencyLimiter
    private let held = Atomic<Bool>(true)

    init(limiter: ConcurrencyLimiter) {
        self.limiter = limiter
    }

    func release() {
        guard held.exchange(false, ordering: .acquiringAndReleasing) else { return }
        let limiter = self.limiter
        Task { await limiter.release() }
    }
}
