import Foundation
import Synchronization

/// A fixed set of threads taking blocking jobs first in, first out, so that neither CPU-bound work
/// nor blocking system calls (fsync) run on Swift's cooperative pool, which has one thread per core:
/// there they would stall event handling and claims, and cap the fsyncs in flight at the core count.
/// The threads live as long as the process (see BlockingWork for why that matters to libvips).
public final class BlockingPool: Sendable {
    /// Pending jobs from `head` on: taking one moves the index instead of shifting the array, so a
    /// burst of thousands of queued jobs costs no more per job than a few.
    private let queue = Mutex<(jobs: [@Sendable () -> Void], head: Int)>(([], 0))
    private let available = DispatchSemaphore(value: 0)

    public init(threads: Int, name: String) {
        for index in 0..<threads {
            let thread = Thread { [self] in
                while true {
                    available.wait()
                    let job = queue.withLock { queue -> (@Sendable () -> Void)? in
                        guard queue.head < queue.jobs.count else { return nil }
                        let job = queue.jobs[queue.head]
                        queue.head += 1
                        if queue.head == queue.jobs.count || queue.head > 1024 {
                            queue.jobs.removeFirst(queue.head)
                            queue.head = 0
                        }
                        return job
                    }
                    job?()
                }
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    public func submit(_ job: @escaping @Sendable () -> Void) {
        queue.withLock { $0.jobs.append(job) }
        available.signal()
    }

    /// Runs `work` on one of the pool's threads and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: work()) }
        }
    }
}

/// File writes, fsyncs and renames of sessions. Sixteen threads: fsyncs from parallel sessions
/// overlap, and a journaling filesystem commits them together.
public enum BlockingIO {
    static let pool = BlockingPool(threads: 16, name: "scenedrop-io")

    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await pool.run(work)
    }

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws(SystemError) -> T) async throws(SystemError) -> T {
        let result: Result<T, SystemError> = await pool.run { Result { () throws(SystemError) in try work() } }
        return try result.get()
    }
}
