import Synchronization

/// Runs `operation` for at most `seconds`. The caller goes on at the deadline even when the operation
/// does not end on cancellation (a query on a connection whose server stopped answering): the operation
/// runs on as an unstructured task until the connection gives up, and its result is dropped.
func withDeadline<Result: Sendable>(
    seconds: Double,
    _ what: String,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws(CoordinatorError) -> Result {
    let outcome = await withCheckedContinuation {
        (continuation: CheckedContinuation<Swift.Result<Result, CoordinatorError>, Never>) in
        let race = Race(continuation)
        let work = Task {
            do {
                race.finish(.success(try await operation()))
            } catch let error as CoordinatorError {
                race.finish(.failure(error))
            } catch {
                race.finish(.failure(CoordinatorError(.database, "\(what): \(String(reflecting: error))")))
            }
        }
        race.setTimer(
            Task {
                guard (try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))) != nil else { return }
                race.finish(
                    .failure(CoordinatorError(.timeout, "\(what): the database did not answer within \(seconds) s"))
                )
                work.cancel()
            }
        )
    }
    return try outcome.get()
}

/// Whichever of the work and the timer ends first resumes the caller; the timer is cancelled then.
private final class Race<Result: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Swift.Result<Result, CoordinatorError>, Never>?
        var timer: Task<Void, Never>?
    }

    private let state: Mutex<State>

    init(_ continuation: CheckedContinuation<Swift.Result<Result, CoordinatorError>, Never>) {
        state = Mutex(State(continuation: continuation))
    }

    func finish(_ result: Swift.Result<Result, CoordinatorError>) {
        let (continuation, timer) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.continuation, state.timer)
        }
        continuation?.resume(returning: result)
        timer?.cancel()
    }

    func setTimer(_ timer: Task<Void, Never>) {
        // The work may have ended before the timer was in place.
        let finished = state.withLock { state in
            state.timer = timer
            return state.continuation == nil
        }
        if finished { timer.cancel() }
    }
}
