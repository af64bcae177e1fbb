/// Bounds work in flight across the whole daemon: provider calls (`--concurrency`) and CPU work (one per CPU
/// thread). Waiters are served **round-robin across keys** (a key per session), first come, first served within
/// a key: a session of 500 scenes queued first does not make a one-scene session wait for all of them, it waits
/// for one turn per session ahead of it. A cancelled waiter leaves its queue at once.
package actor ConcurrencyLimiter {
    private var available: Int
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }
    /// Waiters by key, and the keys that have waiters in the order they are served.
    private var queues: [String: [Waiter]] = [:]
    private var turns: [String] = []
    private var nextID: UInt64 = 0
    package let limit: Int

    package init(limit: Int) {
        precondition(limit > 0)
        self.limit = limit
        available = limit
    }

    /// Takes a place, waiting for one in `key`'s turn.
    package func acquire(key: String = "") async throws {
        if available > 0 && turns.isEmpty {
            available -= 1
            return
        }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    if queues[key] == nil { turns.append(key) }
                    queues[key, default: []].append(Waiter(id: id, continuation: continuation))
                    if available > 0 { handOver() }
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    package func release() {
        available += 1
        handOver()
    }

    /// Gives free places to the waiters whose turn it is: the first waiter of the first key, which then goes to
    /// the back of the line of keys if it has more.
    private func handOver() {
        while available > 0, let key = turns.first {
            turns.removeFirst()
            guard var queue = queues[key], !queue.isEmpty else {
                queues[key] = nil
                continue
            }
            let waiter = queue.removeFirst()
            if queue.isEmpty {
                queues[key] = nil
            } else {
                queues[key] = queue
                turns.append(key)
            }
            available -= 1
            waiter.continuation.resume()
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        for (key, queue) in queues {
            guard let index = queue.firstIndex(where: { $0.id == id }) else { continue }
            var rest = queue
            let waiter = rest.remove(at: index)
            if rest.isEmpty {
                queues[key] = nil
                turns.removeAll { $0 == key }
            } else {
                queues[key] = rest
            }
            waiter.continuation.resume(throwing: CancellationError())
            return
        }
    }

    package var inUse: Int { limit - available }
}
