import Coordination
import DropFolder
import ImageGeneration
import Logging
import ServiceLifecycle

extension Daemon {
    /// What the daemon's services are built from.
    struct Parts {
        var workers: SessionWorkers
        var intake: Intake
        var work: WorkArea
        var rechecks: AsyncStream<Double>
        var activity: Activity
        var chain: ProviderChain
        var coordinator: PostgresCoordinator?
    }

    /// The daemon's services, in start order; graceful shutdown stops them in reverse.
    func watchServices(_ parts: Parts, logger: Logger) async -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let (workers, intake, work, rechecks, activity, chain) = (
            parts.workers, parts.intake, parts.work, parts.rechecks, parts.activity, parts.chain
        )
        let layout = configuration.layout
        let (readiness, swept) = (Readiness(), Readiness())
        var intakeService = await watchIntake(intake, rechecks: rechecks, logger: logger)
        intakeService.readiness = readiness
        intakeService.startAfter = swept
        var watchServices: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: leaseService(work, logger: logger),
                successTerminationBehavior: .ignore,
                serviceName: "lease"
            )
        ]
        let stopping = Stopping()
        if let web = configuration.web {
            // First in the list, so last to stop: the page and /readyz (503, shutting down) stay
            // up while the sessions in flight finish.
            var source = DaemonLiveSource(
                activity: activity,
                layout: layout,
                chain: chain,
                dailyBudgetUSD: generation.dailyBudgetUSD,
                watching: readiness,
                stopping: stopping
            )
            source.coordinator = parts.coordinator
            source.inboxChange = { work.inboxChange() }
            watchServices.append(
                .init(
                    service: webService(web, source: source, logger: logger),
                    successTerminationBehavior: .gracefullyShutdownGroup,
                    serviceName: "web"
                )
            )
        }
        watchServices += [
            .init(
                service: workers,
                successTerminationBehavior: .gracefullyShutdownGroup,
                serviceName: "session-workers"
            ),
            .init(
                service: RetentionService(
                    configuration: configuration,
                    work: work,
                    clock: clock,
                    swept: swept,
                    logger: logger
                ),
                successTerminationBehavior: .ignore,
                serviceName: "retention"
            ),
            .init(service: intakeService, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "intake"),
        ]
        watchServices.append(
            .init(
                service: StoppingService(stopping: stopping),
                successTerminationBehavior: .ignore,
                serviceName: "stopping"
            )
        )
        if let systemd {
            // Last in the list, so first to stop: STOPPING=1 goes out as shutdown begins.
            let notifier = SystemdService(
                notifier: systemd,
                readiness: readiness,
                intake: intake,
                inbox: layout.inbox,
                clock: clock,
                logger: logger
            )
            watchServices.append(
                .init(
                    service: notifier,
                    successTerminationBehavior: .gracefullyShutdownGroup,
                    serviceName: "systemd-notify"
                )
            )
        }
        return watchServices
    }
}
