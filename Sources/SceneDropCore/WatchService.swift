import DropFolder
import ImageGeneration
import Logging
import Outbox
import ServiceLifecycle
import SystemSupport

/// `scenedrop watch`: the daemon. Watches the inbox (inotify plus rescans), claims and processes
/// manifests, runs the retention schedule, and on graceful shutdown stops intake, lets sessions in
/// flight finish within the grace period, and hands back whatever is left.
public struct WatchService: Service {
    public let configuration: Configuration
    public let chain: ProviderChain
    public let logger: Logger

    public init(configuration: Configuration, chain: ProviderChain, logger: Logger) {
        self.configuration = configuration
        self.chain = chain
        self.logger = logger
    }

    public func run() async throws {
        let layout = configuration.layout
        try layout.create()
        let work = try WorkArea(inbox: layout.inbox, workRoot: layout.work, instanceID: WorkArea.makeInstanceID())
        var instanceLogger = self.logger
        instanceLogger[metadataKey: "scenedrop.instance"] = "\(work.instanceID)"
        let logger = instanceLogger

        // Staging folders of dead instances can never be published: sweep them now, keep everything else.
        let sweep = Self.cleaner(configuration, retention: nil, work: work, sessionsToo: false).run(now: WallClock.now(), dryRun: false)
        if !sweep.removed.isEmpty {
            logger.notice("removed staging leftovers of dead instances", metadata: ["scenedrop.count": "\(sweep.removed.count)"])
        }

        let filesystem = FileSystem.filesystemKind(layout.inbox)
        let rescanInterval: Duration
        if let chosen = configuration.rescanInterval {
            rescanInterval = chosen
        } else if filesystem.isNetwork {
            rescanInterval = .seconds(2)
            logger.notice("inbox is on a network filesystem: inotify cannot see other clients' writes, rescanning every 2s", metadata: [
                "scenedrop.filesystem": "\(filesystem)", "scenedrop.inbox": "\(layout.inbox)",
            ])
        } else {
            rescanInterval = .seconds(10)
        }
        logger.info("watching", metadata: [
            "scenedrop.inbox": "\(layout.inbox)", "scenedrop.outbox": "\(layout.outbox)",
            "scenedrop.rescan_interval_s": "\(rescanInterval.seconds)", "scenedrop.concurrency": "\(configuration.concurrency)",
        ])

        let (claims, claimsOut) = AsyncStream.makeStream(of: (ClaimedManifest, Double).self)
        let (rechecks, rechecksOut) = AsyncStream.makeStream(of: Double.self)
        let intake = Intake(configuration: configuration, work: work, logger: logger, output: claimsOut, recheckRequests: rechecksOut)
        let processor = SessionProcessor(
            configuration: configuration, work: work, chain: chain,
            limiter: ConcurrencyLimiter(limit: configuration.concurrency), logger: logger)

        let watcher: (InotifyWatcher, AsyncStream<WatchEvent>)?
        do {
            watcher = try InotifyWatcher.start(directory: layout.inbox, logger: logger)
        } catch {
            logger.error("inotify unavailable; relying on rescans", metadata: ["error.message": "\(error)"])
            watcher = nil
        }

        let grace = configuration.shutdownGrace
        await withDiscardingTaskGroup { jobs in
            jobs.addTask {
                // Intake runs until graceful shutdown (SIGTERM/SIGINT) or cancellation.
                await cancelWhenGracefulShutdown {
                    await self.runIntake(intake, events: watcher?.1, rechecks: rechecks, rescanInterval: rescanInterval, work: work, logger: logger)
                }
                watcher?.0.stop()
                await intake.stopAccepting()
            }
            for await (claim, receivedAt) in claims {
                jobs.addTask {
                    let outcome = await processor.process(claim, receivedAt: receivedAt)
                    await intake.finished(claim, outcome)
                }
            }
            let inHand = await intake.claimsInFlight
            if inHand > 0 {
                logger.notice("stopping: waiting for sessions in flight", metadata: ["scenedrop.count": "\(inHand)", "scenedrop.grace_s": "\(grace.seconds)"])
            }
            let drained = await Self.race(grace) { await intake.waitUntilIdle() }
            if !drained {
                logger.warning("grace period over: handing back the manifests still in flight")
                jobs.cancelAll()
            }
        }
        work.close()
        let stats = await intake.stats
        logger.info("stopped", metadata: [
            "scenedrop.claimed_total": "\(stats.claimed)", "scenedrop.overflows_total": "\(stats.overflows)",
            "scenedrop.rescans_total": "\(stats.rescans)",
        ])
    }

    /// Runs `operation` for at most `limit`; true when it finished in time.
    static func race(_ limit: Duration, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await operation()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func runIntake(
        _ intake: Intake, events: AsyncStream<WatchEvent>?, rechecks: AsyncStream<Double>,
        rescanInterval: Duration, work: WorkArea, logger: Logger
    ) async {
        await intake.rescan()
        await withDiscardingTaskGroup { group in
            if let events {
                group.addTask {
                    for await event in events {
                        switch event {
                        case .arrived(let name): await intake.arrived(name)
                        case .overflow: await intake.overflowed()
                        case .watchLost:
                            logger.warning("inbox watch lost; re-adding it and rescanning")
                            try? FileSystem.makeDirectories(self.configuration.layout.inbox)
                        case .watching:
                            logger.info("inbox watch in place")
                            // Anything dropped before the watch existed is found by this rescan.
                            await intake.rescan()
                        }
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: rescanInterval) } catch { return }
                    await intake.rescan()
                }
            }
            group.addTask {
                // Files waiting on the stability gate or a backoff are looked at again when due. Each
                // request has its own timer: a long backoff must not hold up a short settle.
                await withDiscardingTaskGroup { timers in
                    for await due in rechecks {
                        timers.addTask {
                            let wait = due - WallClock.now()
                            if wait > 0 {
                                do { try await Task.sleep(for: .milliseconds(Int(wait * 1000) + 5)) } catch { return }
                            }
                            await intake.rescan()
                        }
                    }
                }
            }
            if let retention = self.configuration.retention {
                group.addTask {
                    while !Task.isCancelled {
                        let report = Self.cleaner(self.configuration, retention: retention, work: work).run(now: WallClock.now(), dryRun: false)
                        if !report.removed.isEmpty || !report.errors.isEmpty {
                            logger.info("retention removed old items", metadata: [
                                "scenedrop.removed": "\(report.removed.count)", "scenedrop.errors": "\(report.errors.count)",
                            ])
                        }
                        do { try await Task.sleep(for: self.configuration.cleanupInterval) } catch { return }
                    }
                }
            }
        }
    }

    /// The retention policy on this layout. With `sessionsToo: false` only dead instances' staging
    /// leftovers are removed.
    public static func cleaner(_ configuration: Configuration, retention: Duration?, work: WorkArea?, sessionsToo: Bool = true) -> Cleaner {
        let layout = configuration.layout
        let policy = sessionsToo
            ? RetentionPolicy(
                sessionMaxAge: retention?.seconds,
                quarantineMaxAge: (configuration.quarantineRetention ?? retention)?.seconds,
                cacheMaxAge: configuration.cacheRetention.seconds)
            : RetentionPolicy(sessionMaxAge: nil, quarantineMaxAge: nil, cacheMaxAge: nil)
        let workRoot = layout.work
        return Cleaner(
            folders: .init(outbox: layout.outbox, quarantine: layout.quarantine, cache: layout.cache),
            policy: policy,
            isInstanceAlive: { id in
                if let work { return work.isInstanceAlive(id) }
                return WorkArea.isAlive(id, workRoot: workRoot)
            })
    }
}
