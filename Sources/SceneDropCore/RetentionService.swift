import DropFolder
import Logging
import Outbox
import ServiceLifecycle
import SystemSupport

/// Retention: at start, the staging folders of dead instances (they can never be published); then,
/// with `--retention`, the age policy every `--cleanup-interval`. Each run is on the I/O threads.
struct RetentionService: Service {
    let configuration: Configuration
    let work: WorkArea
    let clock: MonotonicClock
    /// Marked when the start-up sweep is done. The intake waits for it: its recovery of a dead instance
    /// takes that instance's lock for a moment, and a sweep looking then would take it for alive and
    /// keep its staging folders.
    let swept: Readiness
    let logger: Logger

    func run() async {
        let sweep = configuration.cleaner(retention: nil, work: work, sessionsToo: false)
        let report = await WorkerThreads.io.run { sweep.run(now: WallClock.now(), dryRun: false) }
        swept.markReady()
        if !report.removed.isEmpty {
            logger.notice(
                "removed staging leftovers of dead instances",
                metadata: ["scenedrop.count": "\(report.removed.count)"]
            )
        }
        guard let retention = configuration.retention else { return }
        let cleaner = configuration.cleaner(retention: retention, work: work)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let report = await WorkerThreads.io.run { cleaner.run(now: WallClock.now(), dryRun: false) }
                if !report.removed.isEmpty || !report.errors.isEmpty {
                    logger.info(
                        "retention removed old items",
                        metadata: [
                            "scenedrop.removed": "\(report.removed.count)",
                            "scenedrop.errors": "\(report.errors.count)",
                        ]
                    )
                }
                guard (try? await clock.sleep(for: configuration.cleanupInterval.seconds)) != nil else { return }
            }
        }
    }
}
