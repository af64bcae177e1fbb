import ImageGeneration
import Imaging
import InMemoryLogging
import Logging
import Synchronization
import SystemSupport
import TestSupport

/// Log records kept in memory (swift-log's `InMemoryLogHandler`), so a test can wait for the daemon to say
/// something.
final class RecordingLog: Sendable {
    private let handler: InMemoryLogHandler = {
        var handler = InMemoryLogHandler()
        handler.logLevel = .debug
        return handler
    }()

    /// Every logger made here writes to the same records.
    var logger: Logger {
        let handler = self.handler
        return Logger(label: "test") { _ in handler }
    }

    var messages: [String] { handler.entries.map(\.message.description) }

    func contains(_ message: DaemonLog) -> Bool { messages.contains(message.rawValue) }
}

/// A real provider whose request waits until the test lets it answer (or the task is cancelled),
/// then renders a real placeholder. Counts the requests that started.
final class HeldProvider: ImageProvider {
    let name = "held"
    let isReal = true
    let started = Atomic<Int>(0)
    private let released = Atomic<Bool>(false)

    func release() { released.store(true, ordering: .releasing) }

    func generate(_ request: ImageRequest, phases: ProviderPhases) async throws(ProviderFailure) -> ProviderResult {
        let answered: Bool
        do {
            answered = try await phases.network { () async -> Bool in
                started.add(1, ordering: .relaxed)
                // A condition, polled with a cancellable pause: the "answer" comes when the test says.
                while !released.load(ordering: .acquiring) {
                    guard (try? await Task.sleep(for: .milliseconds(2))) != nil else { return false }
                }
                return true
            }
        } catch {
            answered = false
        }
        guard answered else { throw ProviderFailure(reason: .timeout, message: "cancelled", tried: []) }
        var result = try await PlaceholderProvider().generate(request, phases: phases)
        result.image.model = "held-model"
        return result
    }
}
