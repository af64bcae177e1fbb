import DropFolder
import Logging
import ServiceLifecycle
import Synchronization
import SystemSupport

/// Processes each claim the intake hands over, in parallel, and reports how it ended. Ends when the
/// claim stream ends (the intake stopped) and every session in flight is done. When the group's
/// grace period is over the group cancels it: sessions then hand their manifests back to the inbox.
struct SessionWorkers: Service {
    let claims: AsyncStream<(ClaimedManifest, Double)>
    let processor: SessionProcessor
    let intake: Intake
    let grace: Duration
    let logger: Logger

    func run() async {
        let inFlight = Counter()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { jobs in
                    for await (claim, receivedAt) in claims {
                        inFlight.value.add(1, ordering: .relaxed)
                        // In claim order, before any of its tasks runs: a newer drop can never end before an
                        // older one counts as in flight (`SessionVersions`).
                        processor.versions.started(claim.sequence)
                        jobs.addTask {
                            defer { processor.versions.ended(claim.sequence) }
                            let started = processor.clock.now()
                            let outcome = await processor.process(claim, receivedAt: receivedAt)
                            processor.activity.ended(
                                claim.path,
                                outcome: outcome,
                                seconds: processor.clock.now() - started,
                                receivedAt: receivedAt
                            )
                            await intake.finished(claim, outcome)
                            inFlight.value.subtract(1, ordering: .relaxed)
                        }
                    }
                }
                // Drain-once is over when everything taken is done. Otherwise the intake stopped because
                // the group is shutting down: wait for this service's own turn, since the group takes a
                // service that ends before it is asked to for a failure.
                if await !intake.drained { try? await gracefulShutdown() }
            } onGracefulShutdown: {
                let count = inFlight.value.load(ordering: .relaxed)
                if count > 0 {
                    logger.notice(
                        "stopping: waiting for sessions in flight",
                        metadata: [
                            "scenedrop.count": "\(count)", "scenedrop.grace_s": "\(grace.seconds)",
                        ]
                    )
                }
            }
        } onCancel: {
            if inFlight.value.load(ordering: .relaxed) > 0 {
                logger.warning("grace period over: handing back the manifests still in flight")
            }
        }
    }
}

/// Sessions in flight, read by the shutdown and cancellation handlers on other threads.
private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
