import Synchronization

/// A one-shot signal with one waiter: the daemon is ready (the inbox watch is in place, or without
/// inotify the first rescan is done) for the systemd notifier; the start-up sweep is done, for the intake.
final class Readiness: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let ready = Atomic<Bool>(false)

    /// Whether `markReady` was called (for `/readyz`, which asks rather than waits).
    var isReady: Bool { ready.load(ordering: .acquiring) }

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func markReady() {
        ready.store(true, ordering: .releasing)
        continuation.yield()
        continuation.finish()
    }

    /// Returns once ready, or when the calling task is cancelled.
    func wait() async {
        for await _ in stream { return }
    }
}
