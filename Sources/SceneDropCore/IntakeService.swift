import DropFolder
import Logging
import ServiceLifecycle
import SystemSupport

/// The intake as a service: the inotify watcher, the periodic rescans and the rechecks that settle
/// and backoff ask for. On graceful shutdown it stops claiming and ends the claim stream, so the
/// session workers can drain; it is the first service to stop.
struct IntakeService: Service {
    let intake: Intake
    let configuration: Configuration
    /// `nil` in drain-once mode and where inotify is unavailable.
    let watcher: (watcher: InotifyWatcher, events: AsyncStream<WatchEvent>)?
    /// `nil` in drain-once mode: only rechecks drive rescans there.
    let rescanInterval: Duration?
    let rechecks: AsyncStream<Double>
    let clock: MonotonicClock
    /// Marked once the watch is in place (without a watcher: after the first rescan).
    var readiness: Readiness?
    /// Claims start after this (the start-up sweep of dead instances' staging).
    var startAfter: Readiness?
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown {
            await startAfter?.wait()
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await intake.rescan()
                    if watcher == nil { readiness?.markReady() }
                }
                if let events = watcher?.events { group.addTask { await follow(events) } }
                if let rescanInterval {
                    group.addTask {
                        while (try? await clock.sleep(for: rescanInterval.seconds)) != nil {
                            await intake.rescan()
                        }
                    }
                }
                // Files waiting on the stability gate or a backoff are looked at again when due. Each
                // request has its own timer: a long backoff must not hold up a short settle. The stream
                // ends when the intake stops accepting; timers still pending then have nothing to do.
                await withDiscardingTaskGroup { timers in
                    for await due in rechecks {
                        timers.addTask {
                            guard (try? await clock.sleep(until: due)) != nil else { return }
                            await intake.rescan()
                        }
                    }
                    timers.cancelAll()
                }
                // Drain-once ends here on its own; the daemon only by shutdown or cancellation.
                group.cancelAll()
            }
        }
        watcher?.watcher.stop()
        await intake.stopAccepting()
    }

    private func follow(_ events: AsyncStream<WatchEvent>) async {
        for await event in events {
            switch event {
            case .arrived(let name): await intake.arrived(name)
            case .overflow: await intake.overflowed()
            case .watchLost:
                logger.warning("inbox watch lost; re-adding it and rescanning")
                let inbox = configuration.layout.inbox
                await WorkerThreads.io.run { try? FileSystem.makeDirectories(inbox) }
            case .watching:
                logger.info("inbox watch in place")
                // Anything dropped before the watch existed is found by this rescan.
                await intake.rescan()
                readiness?.markReady()
            }
        }
    }
}
