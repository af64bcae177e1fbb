import CoreMetrics
import ImageGeneration
import Outbox
import Synchronization
import SystemSupport
import WebView

/// What the daemon is doing, as it happens: the sessions in flight with each scene's state for the
/// web view, and the metrics. Every part of the daemon reports here; reports are synchronous and
/// never wait (a lock held for a few assignments), so a slow web client can never slow a session.
final class Activity: Sendable {
    let metrics = DaemonMetrics()
    private let state = Mutex(State())

    private struct State {
        var sessions: [String: LiveState.Session] = [:]
        var order: [String] = []
        var subscribers: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var nextSubscriber: UInt64 = 0
        var published = 0
        var quarantined = 0
        var requeued = 0
        var cacheHits = 0
    }

    struct Counts {
        var published: Int
        var quarantined: Int
        var requeued: Int
        var cacheHits: Int
    }

    // MARK: - Subscribers

    /// Yields after every change; at most one change waits, so a slow reader holds no backlog.
    func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = continuation
            return state.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    private func changed(_ update: (inout State) -> Void) {
        let subscribers = state.withLock { state in
            update(&state)
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield() }
    }

    var inFlight: [LiveState.Session] {
        state.withLock { state in state.order.compactMap { state.sessions[$0] } }
    }

    var counts: Counts {
        state.withLock {
            Counts(published: $0.published, quarantined: $0.quarantined, requeued: $0.requeued, cacheHits: $0.cacheHits)
        }
    }

    // MARK: - Intake

    func claimed() { metrics.claimed.increment() }
    func rescanned(inboxFiles: Int) {
        metrics.rescans.increment()
        metrics.inboxFiles.record(inboxFiles)
    }
    func overflowed() { metrics.overflows.increment() }
    func requeued() { changed { $0.requeued += 1 } }

    // MARK: - Sessions

    /// `key`: the claim's path in work/, unique while the claim lives.
    func started(_ key: String, session: String, file: String, scenes: [Int]) {
        changed { state in
            state.sessions[key] = LiveState.Session(
                session: session,
                file: file,
                startedAt: WallClock.rfc3339(WallClock.now()),
                scenes: scenes.map { LiveState.Scene(scene: $0, state: "queued", detail: "queued") }
            )
            state.order.append(key)
            metrics.sessionsInFlight.record(state.order.count)
        }
    }

    func progress(_ key: String, scene: Int, _ progress: SceneProgress) {
        switch progress {
        case .requesting(let model, let attempt):
            set(key, scene: scene, "requesting", "requesting \(model)" + (attempt > 1 ? ", attempt \(attempt)" : ""))
        case .waiting(let model, let until):
            set(key, scene: scene, "waiting", "\(model) is cooling down until \(WallClock.rfc3339(until))")
        case .answered(let model, let statusClass, let seconds):
            metrics.request(model: model, statusClass: statusClass, seconds: seconds)
        case .rendering(let provider):
            set(key, scene: scene, "rendering", "rendering with \(provider)")
        case .batched(let job, let batchState):
            set(key, scene: scene, "waiting", "in batch job \(job) (\(batchState))")
        }
    }

    func rendered(_ key: String, scene: Int, provider: String) {
        set(key, scene: scene, "rendered", "rendered by \(provider), writing")
    }

    func written(_ key: String, scene: SessionMetadata.Scene, fallbackReason: String?) {
        metrics.scene(provider: scene.provider, status: scene.status.rawValue, fallbackReason: fallbackReason)
        if scene.costUSD > 0 { metrics.costUSD.increment(by: scene.costUSD) }
        let hit = scene.status == .cached
        if hit { metrics.cacheHits.increment() }
        changed { state in
            if hit { state.cacheHits += 1 }
            Self.update(
                &state,
                key,
                scene.sceneNumber,
                "written",
                "written (\(scene.provider)\(scene.model.map { ", " + $0 } ?? ""))"
            )
        }
    }

    /// The session ended; `seconds` since its claim, `receivedAt` the drop's wall time.
    func ended(_ key: String, outcome: ProcessOutcome, seconds: Double, receivedAt: Double) {
        switch outcome {
        case .published:
            metrics.published.increment()
            metrics.sessionDuration.recordNanoseconds(Int64(max(0, seconds) * 1e9))
            metrics.dropToPublish.recordNanoseconds(Int64(max(0, WallClock.now() - receivedAt) * 1e9))
        case .quarantined(_, let reason):
            metrics.quarantined(reason: reason)
        case .handedBack, .cancelled:
            metrics.handedBack.increment()
        case .stuck, .superseded, .claimLost:
            break
        }
        changed { state in
            state.sessions.removeValue(forKey: key)
            state.order.removeAll { $0 == key }
            metrics.sessionsInFlight.record(state.order.count)
            if case .published = outcome { state.published += 1 }
            if case .quarantined = outcome { state.quarantined += 1 }
        }
    }

    private func set(_ key: String, scene: Int, _ phase: String, _ detail: String) {
        changed { Self.update(&$0, key, scene, phase, detail) }
    }

    private static func update(_ state: inout State, _ key: String, _ scene: Int, _ phase: String, _ detail: String) {
        guard var session = state.sessions[key], let index = session.scenes.firstIndex(where: { $0.scene == scene })
        else { return }
        session.scenes[index].state = phase
        session.scenes[index].detail = detail
        state.sessions[key] = session
    }
}
