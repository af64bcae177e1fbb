import DropFolder
import ImageGeneration
import Logging
import SceneDropCore
import ServiceLifecycleTestKit
import Synchronization
import SystemSupport
import TestSupport
import Testing

/// The daemon's ServiceGroup, in process, on a test clock, shut down through ServiceLifecycle's test
/// trigger: the intake stops first, sessions in flight finish, and past the grace period they hand
/// their manifests back.
@Suite struct DaemonShutdownTests {
    func daemon(_ root: String, grace: Duration, log: RecordingLog, clock: ManualClock) -> Daemon {
        var configuration = Configuration(layout: Layout(root: root))
        configuration.settle = .zero
        configuration.rescanInterval = .seconds(10)
        configuration.shutdownGrace = grace
        configuration.sync = false
        var daemon = Daemon(configuration: configuration, generation: GenerationSettings(), logger: log.logger)
        daemon.clock = MonotonicClock(clock)
        daemon.shutdownSignals = []
        daemon.inotify = false
        // Whatever NOTIFY_SOCKET the test runner inherited is not this daemon's to notify.
        daemon.systemd = nil
        return daemon
    }

    /// Rescans happen when the test clock says: one rescan interval later the drop is claimed.
    func rescanUntil(_ what: String, clock: ManualClock, _ condition: @escaping @Sendable () -> Bool) async throws {
        try await waitUntil(what) {
            if condition() { return true }
            clock.advance(by: .seconds(10))
            return condition()
        }
    }

    @Test func gracefulShutdownStopsIntakeFirstAndLetsTheSessionInFlightFinish() async throws {
        try await withTemporaryDirectory { root in
            let (log, clock, provider) = (RecordingLog(), ManualClock(), HeldProvider())
            let daemon = daemon(root, grace: .seconds(120), log: log, clock: clock)
            let chain = ProviderChain(providers: [provider])
            try await testGracefulShutdown { trigger in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try await daemon.run(.watch, chain: chain) }
                    try writeFile(root + "/inbox/first.json", manifestJSON(session: "first"))
                    try await rescanUntil("the first manifest's request", clock: clock) {
                        provider.started.load(ordering: .relaxed) == 1
                    }
                    trigger.triggerGracefulShutdown()
                    // The workers are asked to stop only after the intake has stopped.
                    try await waitUntil("the workers' turn to stop") {
                        log.contains(.stoppingForSessionsInFlight)
                    }
                    try writeFile(root + "/inbox/late.json", manifestJSON(session: "late"))
                    clock.advance(by: .seconds(60))
                    provider.release()
                    try await group.waitForAll()
                }
            }
            let sessions = try publishedSessions(root + "/outbox")
            #expect(sessions.map(\.name) == ["first"], "the session in flight at shutdown is published")
            #expect(listNames(root + "/inbox") == ["late.json"], "nothing is claimed once shutdown began")
            #expect(provider.started.load(ordering: .relaxed) == 1)
            #expect(claimsInWork(root) == 0)
            #expect(log.contains(.stopped))
        }
    }

    @Test func pastTheGracePeriodTheSessionInFlightHandsItsManifestBack() async throws {
        try await withTemporaryDirectory { root in
            let (log, clock, provider) = (RecordingLog(), ManualClock(), HeldProvider())
            let daemon = daemon(root, grace: .milliseconds(200), log: log, clock: clock)
            try await testGracefulShutdown { trigger in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try await daemon.run(.watch, chain: ProviderChain(providers: [provider])) }
                    try writeFile(root + "/inbox/slow.json", manifestJSON(session: "slow"))
                    try await rescanUntil("the request", clock: clock) {
                        provider.started.load(ordering: .relaxed) == 1
                    }
                    trigger.triggerGracefulShutdown()
                    // The provider never answers: the group's grace runs out and cancels the session.
                    try await group.waitForAll()
                }
            }
            #expect(try publishedSessions(root + "/outbox").isEmpty)
            #expect(listNames(root + "/inbox") == ["slow.json"], "handed back under its own name")
            #expect(log.contains(.gracePeriodOver))
            #expect(log.contains(.handedBackAtShutdown))
            #expect(listNames(root + "/outbox/.staging", hidden: true).isEmpty)
        }
    }

    /// Cancelled at any moment (here: before its services have started, or while they start), the
    /// daemon ends: a test that gives up, or a group past its grace, must never be left waiting.
    @Test(arguments: [0, 1, 5, 20])
    func aDaemonCancelledAtAnyMomentEnds(afterMilliseconds delay: Int) async throws {
        try await withTemporaryDirectory { root in
            let (log, clock) = (RecordingLog(), ManualClock())
            let daemon = daemon(root, grace: .seconds(30), log: log, clock: clock)
            try writeFile(root + "/inbox/first.json", manifestJSON(session: "first"))
            let run = Task { _ = try await daemon.run(.watch, chain: ProviderChain(providers: [HeldProvider()])) }
            try await Task.sleep(for: .milliseconds(delay))
            run.cancel()
            let ended = Atomic<Bool>(false)
            let waiter = Task {
                _ = try? await run.value
                ended.store(true, ordering: .releasing)
            }
            // waitUntil's generous deadline: a hang never ends, while a suite starving the cooperative
            // pool (two threads here) can hold a daemon that is ending for many seconds.
            do {
                try await waitUntil("the cancelled daemon to end") { ended.load(ordering: .acquiring) }
            } catch let error as TimedOut {
                throw TimedOut(what: error.what + " (its log: \(log.messages))")
            }
            _ = await waiter.value
        }
    }
}
