import Coordination
import DropFolder
import ImageGeneration
import Logging
import ServiceLifecycle
import SystemSupport
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// The composition root: builds the provider chain, the work area and the services, and runs them in
/// one `ServiceGroup`.
///
/// - `watch()`: the daemon. Services, in start order: the session workers, retention, the intake.
///   Graceful shutdown (SIGTERM, SIGINT) stops them in reverse: the intake first (no new claims),
///   then retention, then the workers, which finish the sessions in flight. `--shutdown-grace` is the
///   group's `maximumGracefulShutdownDuration`: when it is over the group is cancelled and each
///   session still in flight hands its manifest back to the inbox.
/// - `process()`: the same intake in drain-once mode and the same workers, for cron.
package struct Daemon: Sendable {
    package enum Mode: Sendable {
        case watch
        /// Take what is in the inbox now; leave a file still changing after `patience`.
        case drainOnce(patience: Duration)
    }

    package var configuration: Configuration
    package var generation: GenerationSettings
    package var logger: Logger
    package var clock: MonotonicClock = .continuous
    /// This instance's id: its work folder, lease and ledger file are named after it.
    package var instanceID = WorkArea.makeInstanceID()
    /// Signals that start a graceful shutdown.
    package var shutdownSignals: [UnixSignal] = [.sigterm, .sigint]
    /// Off: rescans only, as where inotify is unavailable (libinotifytools allows one watcher per
    /// process, so in-process tests leave it to the watcher's own tests).
    package var inotify = true
    /// `Type=notify` under systemd (from `NOTIFY_SOCKET`); nil elsewhere.
    package var systemd = SystemdNotifier.fromProcessEnvironment()

    package init(configuration: Configuration, generation: GenerationSettings, logger: Logger) {
        self.configuration = configuration
        self.generation = generation
        self.logger = logger
    }

    /// `scenedrop watch`: runs until graceful shutdown.
    package func watch() async throws {
        let coordinator = makeCoordinator()
        try await ProviderAssembly.withChain(
            generation,
            configuration: configuration,
            instanceID: instanceID,
            coordinator: coordinator,
            clock: clock,
            logger: logger
        ) { chain in
            _ = try await run(.watch, chain: chain, coordinator: coordinator)
        }
    }

    /// `scenedrop process`: what is in the inbox now, then a summary.
    package func process(patience: Duration = .seconds(60)) async throws -> BatchSummary {
        let coordinator = makeCoordinator()
        return try await ProviderAssembly.withChain(
            generation,
            configuration: configuration,
            instanceID: instanceID,
            coordinator: coordinator,
            clock: clock,
            logger: logger
        ) { chain in
            try await run(.drainOnce(patience: patience), chain: chain, coordinator: coordinator)
        }
    }

    /// Runs the services on `chain` until they end; in drain-once mode returns what became of each file.
    package func run(
        _ mode: Mode,
        chain: ProviderChain,
        coordinator: PostgresCoordinator? = nil
    ) async throws -> BatchSummary {
        let started = clock.now()
        let layout = configuration.layout
        OpenFileLimit.raiseToHardLimit()
        ProcessSignals.ignoreThoseThatWouldKillSilently()
        let work = try await WorkerThreads.io.run { () throws(SystemError) in
            try layout.create()
            return try WorkArea(
                inbox: layout.inbox,
                workRoot: layout.work,
                instanceID: instanceID,
                leaseTimeout: configuration.leaseTimeout.seconds,
                clock: clock
            )
        }
        defer { work.close() }
        if case .drainOnce = mode {
            // `process` lists the models these credentials can use once, before its first request (a watching
            // daemon lists them in ModelListService, beside its start). After the layout exists: a model left
            // out is written down for `scenedrop status`.
            await chain.refreshModels()
        }
        if await WorkerThreads.io.run({ work.probeClaim() }) != nil {
            throw StartupError.stateOnAnotherFilesystem(inbox: layout.inbox, state: layout.state)
        }
        var logger = self.logger
        logger[metadataKey: "scenedrop.instance"] = "\(work.instanceID)"
        let workRoot = layout.work
        let volume = await WorkerThreads.io.run { VolumeProbe.run(in: workRoot) }
        logger.log(
            level: volume.filesystem.isNetwork ? .notice : .info,
            "volume probed",
            metadata: [
                "scenedrop.volume": "\(volume)", "scenedrop.mechanisms": "\(volume.mechanisms)",
            ]
        )

        let (claims, claimsOut) = AsyncStream.makeStream(of: (ClaimedManifest, Double).self)
        let (rechecks, rechecksOut) = AsyncStream.makeStream(of: Double.self)
        let activity = Activity()
        let intake = Intake(
            configuration: configuration,
            work: work,
            mode: mode,
            clock: clock,
            logger: logger,
            output: claimsOut,
            recheckRequests: rechecksOut,
            activity: activity
        )
        var processor = SessionProcessor(
            configuration: configuration,
            work: work,
            chain: chain,
            limiter: ConcurrencyLimiter(limit: configuration.concurrency),
            clock: clock,
            activity: activity,
            logger: logger
        )
        processor.setAside = { await intake.setAside($0) }
        let workers = SessionWorkers(
            claims: claims,
            processor: processor,
            intake: intake,
            grace: configuration.shutdownGrace,
            logger: logger
        )

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let coordinator {
            // First of all, so last to stop: sessions finishing at shutdown still settle their charges.
            var service = CoordinatorService(
                coordinator: coordinator,
                renewInterval: configuration.leaseRenew,
                ledgerDirectory: layout.ledger,
                clock: clock,
                logger: logger
            )
            service.sessionsInFlight = { activity.inFlight.count }
            services.append(.init(service: service, successTerminationBehavior: .ignore, serviceName: "coordinator"))
        }
        switch mode {
        case .watch:
            services += await watchServices(
                .init(
                    workers: workers,
                    intake: intake,
                    work: work,
                    rechecks: rechecks,
                    activity: activity,
                    chain: chain,
                    coordinator: coordinator
                ),
                logger: logger
            )
            services.append(
                .init(
                    service: ModelListService(chain: chain, clock: clock),
                    successTerminationBehavior: .ignore,
                    serviceName: "model-list"
                )
            )
        case .drainOnce:
            let intakeService = IntakeService(
                intake: intake,
                configuration: configuration,
                watcher: nil,
                rescanInterval: nil,
                rechecks: rechecks,
                clock: clock,
                logger: logger
            )
            // The intake ends on its own once everything is claimed; the run ends with the last session.
            services += [
                .init(
                    service: leaseService(work, logger: logger),
                    successTerminationBehavior: .ignore,
                    serviceName: "lease"
                ),
                .init(
                    service: workers,
                    successTerminationBehavior: .gracefullyShutdownGroup,
                    serviceName: "session-workers"
                ),
                .init(service: intakeService, successTerminationBehavior: .ignore, serviceName: "intake"),
            ]
        }
        var group = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: shutdownSignals,
            logger: logger
        )
        group.maximumGracefulShutdownDuration = configuration.shutdownGrace
        try await ServiceGroup(configuration: group).run()

        let stats = await intake.stats
        logger.info(
            "stopped",
            metadata: [
                "scenedrop.claimed_total": "\(stats.claimed)", "scenedrop.overflows_total": "\(stats.overflows)",
                "scenedrop.rescans_total": "\(stats.rescans)",
            ]
        )
        var summary = await intake.summary
        summary.durationMS = Int(((clock.now() - started) * 1000).rounded())
        return summary
    }

    /// The coordinator of `--coordinator`, registered under this instance's id; nil without one.
    func makeCoordinator() -> PostgresCoordinator? {
        guard let address = generation.coordinator else { return nil }
        let instance = PostgresCoordinator.Instance(
            id: instanceID,
            host: Host.name,
            pid: getpid(),
            inbox: configuration.layout.inbox,
            version: SceneDropVersion.current,
            leaseTimeout: configuration.leaseTimeout.seconds,
            dailyBudgetUSD: generation.dailyBudgetUSD
        )
        var logger = self.logger
        logger[metadataKey: "scenedrop.instance"] = "\(instanceID)"
        return PostgresCoordinator(address: address, instance: instance, logger: logger)
    }

    /// Renews this instance's lease; first in every group, so it stops last.
    func leaseService(_ work: WorkArea, logger: Logger) -> LeaseService {
        LeaseService(work: work, interval: configuration.leaseRenew, clock: clock, logger: logger)
    }

    /// The daemon's intake: the inotify watch (when available) and rescans every `--rescan-interval`.
    func watchIntake(_ intake: Intake, rechecks: AsyncStream<Double>, logger: Logger) async -> IntakeService {
        let layout = configuration.layout
        let rescanInterval = await self.rescanInterval(logger: logger)
        await intake.useRescanInterval(rescanInterval.seconds)
        var watcher: (InotifyWatcher, AsyncStream<WatchEvent>)?
        do {
            if inotify { watcher = try InotifyWatcher.start(directory: layout.inbox, logger: logger) }
        } catch {
            logger.error("inotify unavailable; relying on rescans", metadata: ["error.message": "\(error)"])
        }
        logger.info(
            "watching",
            metadata: [
                "scenedrop.inbox": "\(layout.inbox)", "scenedrop.outbox": "\(layout.outbox)",
                "scenedrop.rescan_interval_s": "\(rescanInterval.seconds)",
                "scenedrop.concurrency": "\(configuration.concurrency)",
            ]
        )
        return IntakeService(
            intake: intake,
            configuration: configuration,
            watcher: watcher,
            rescanInterval: rescanInterval,
            rechecks: rechecks,
            clock: clock,
            logger: logger
        )
    }

    /// `--rescan-interval`, or 10 s locally and 2 s where inotify cannot see other clients' writes.
    private func rescanInterval(logger: Logger) async -> Duration {
        let inbox = configuration.layout.inbox
        let (filesystem, mount) = await WorkerThreads.io.run {
            (FileSystem.filesystemKind(inbox), MountInfo.holding(inbox))
        }
        // Said whether or not --rescan-interval was given: a client cache delays pickup whatever the interval.
        if let hint = mount?.pickupHint {
            logger.notice(
                "the inbox's mount caches what other clients write; pickup can lag",
                metadata: [
                    "scenedrop.inbox": "\(inbox)", "scenedrop.mount": "\(mount?.mountPoint ?? "?")",
                    "scenedrop.mount_type": "\(mount?.type ?? "?")",
                    "scenedrop.hint": "\(hint)",
                ]
            )
        }
        if let chosen = configuration.rescanInterval { return chosen }
        guard filesystem.isNetwork else { return .seconds(10) }
        logger.notice(
            "inbox is on a network filesystem: inotify cannot see other clients' writes, rescanning every 2s",
            metadata: [
                "scenedrop.filesystem": "\(filesystem)", "scenedrop.inbox": "\(inbox)",
            ]
        )
        return .seconds(2)
    }
}
