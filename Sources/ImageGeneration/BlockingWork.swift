import Foundation
import Synchronization

/// Runs CPU-bound libvips work off Swift's cooperative pool (one thread per core: rendering there
/// would delay claims and event handling), on a fixed set of threads that live as long as the process.
///
/// The threads must never exit: libvips 8.14 renders text with pango's per-thread default font map,
/// which is freed when its thread exits while pango's fontconfig thread may still use it — a crash
/// (SIGFPE in g_hash_table_lookup; libvips#3660, sharp#3536). GCD's threads come and go, so it cannot
/// be used here.
public enum BlockingWork {
    private static let pool = WorkerPool(threads: max(2, ProcessInfo.processInfo.activeProcessorCount))

    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            pool.submit { continuation.resume(returning: work()) }
        }
    }
}

/// A fixed pool of threads taking jobs first in, first out.
final class WorkerPool: Sendable {
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let available = DispatchSemaphore(value: 0)

    init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [self] in
                while true {
                    available.wait()
                    let job = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                    job?()
                }
            }
            thread.name = "scenedrop-imaging-\(index)"
            thread.start()
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        available.signal()
    }
}
