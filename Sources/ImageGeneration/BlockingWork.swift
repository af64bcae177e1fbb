import Dispatch

/// Runs CPU-bound or blocking work (libvips) off Swift's cooperative pool, which has one thread
/// per core: rendering there would delay claims and event handling.
public enum BlockingWork {
    private static let queue = DispatchQueue(label: "scenedrop.imaging", attributes: .concurrent)

    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }
}
