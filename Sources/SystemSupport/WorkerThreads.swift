import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Threads for work that must not run on Swift's cooperative pool (one thread per core: a blocking
/// call or a long render there stalls event handling and claims). Two pools, so a burst of fsyncs
/// never queues behind renders and the other way round:
///
/// - `cpu`: libvips decode, check, resize and placeholder renders, one thread per core.
/// - `io`: blocking system calls (scans, `lstat`, renames, `flock`, reads, writes, fsyncs). Sixteen
///   threads: fsyncs of parallel sessions overlap, and a journaling filesystem commits them together.
///
/// Both are swift-nio `NIOThreadPool`s that are started once and never shut down. That matters to
/// libvips 8.14: it renders text with pango's per-thread default font map, which is freed when its
/// thread exits while pango's fontconfig thread may still use it — a crash (SIGFPE in
/// g_hash_table_lookup; libvips#3660, sharp#3536). Threads that come and go (GCD's) cannot be used.
package struct WorkerThreads: Sendable {
    package static let cpu = WorkerThreads(threads: max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    package static let io = WorkerThreads(threads: 16)

    private let pool: NIOThreadPool
    package let threads: Int

    private init(threads: Int) {
        self.threads = threads
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    /// Runs `work` on one of the pool's threads. It runs even when the calling task is cancelled:
    /// a hand-back or a quarantine at shutdown must still happen.
    package func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            // The pools are never shut down, so every submitted item runs.
            pool.submit { _ in continuation.resume(returning: work()) }
        }
    }

    package func run<T: Sendable>(
        _ work: @escaping @Sendable () throws(SystemError) -> T
    ) async throws(SystemError) -> T {
        let result: Result<T, SystemError> = await run { Result { () throws(SystemError) in try work() } }
        return try result.get()
    }
}
