import Foundation
import SystemSupport

/// Runs CPU-bound libvips work off Swift's cooperative pool (one thread per core: rendering there
/// would delay claims and event handling), on a fixed set of threads that live as long as the process.
///
/// The threads must never exit: libvips 8.14 renders text with pango's per-thread default font map,
/// which is freed when its thread exits while pango's fontconfig thread may still use it — a crash
/// (SIGFPE in g_hash_table_lookup; libvips#3660, sharp#3536). GCD's threads come and go, so it cannot
/// be used here.
public enum BlockingWork {
    private static let pool = BlockingPool(threads: max(2, ProcessInfo.processInfo.activeProcessorCount), name: "scenedrop-imaging")

    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await pool.run(work)
    }
}
