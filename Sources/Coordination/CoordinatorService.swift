import Logging
import ServiceLifecycle
import Spend
import SystemSupport

/// Runs the coordinator's `PostgresClient` and keeps this instance in the registry: every
/// `--lease-renew` it renews the entry, makes the ledger writes kept while the database was down and
/// reads the fleet; while the database is down it asks every second, so paid requests waiting for it
/// go on as soon as it is back. First in the group, so last to stop: sessions finishing at shutdown
/// still settle their charges. At the end it makes what writes it can and leaves the registry.
package struct CoordinatorService: Service {
    package let coordinator: PostgresCoordinator
    package let renewInterval: Duration
    /// The ledger files' folder: lines that never reached the table are added from there at start.
    package let ledgerDirectory: String
    package let clock: MonotonicClock
    package let logger: Logger
    /// Sessions in flight, for the registry.
    package var sessionsInFlight: @Sendable () async -> Int = { 0 }

    package init(
        coordinator: PostgresCoordinator,
        renewInterval: Duration,
        ledgerDirectory: String,
        clock: MonotonicClock,
        logger: Logger
    ) {
        self.coordinator = coordinator
        self.renewInterval = renewInterval
        self.ledgerDirectory = ledgerDirectory
        self.clock = clock
        self.logger = logger
    }

    package func run() async {
        // Detached: the client is a Service too, and as a child of this one it would see the group's
        // graceful shutdown and close its pool at once, before the charges of the sessions finishing
        // then are settled and before this instance leaves the registry.
        let client = Task.detached { [coordinator] in await coordinator.runClient() }
        await cancelWhenGracefulShutdown { await keepRegistered() }
        await leave()
        client.cancel()
        await client.value
    }

    /// Renewals, kept writes and the fleet, until shutdown. Outages and returns are logged by the
    /// coordinator itself, wherever it notices them first.
    private func keepRegistered() async {
        var done = Done()
        var lastRenewal = -Double.infinity
        repeat {
            guard !coordinator.isAvailable || clock.now() - lastRenewal >= renewInterval.seconds else { continue }
            lastRenewal = clock.now()
            try? await renewal(&done)
        } while await clock.pause(1)
    }

    /// What needs doing once only: the schema, and the ledger files' lines the table lacks.
    private struct Done {
        var migrated = false
        var reconciled = false
    }

    private func renewal(_ done: inout Done) async throws(CoordinatorError) {
        if !done.migrated { try await coordinator.migrate() }
        done.migrated = true
        try await coordinator.renew(sessionsInFlight: await sessionsInFlight())
        coordinator.markAvailable()
        try await coordinator.flush()
        if !done.reconciled {
            let added = try await reconcile()
            done.reconciled = true
            if added > 0 {
                logger.notice(
                    "ledger lines the coordinator had not seen were added to it",
                    metadata: ["scenedrop.rows": "\(added)"]
                )
            }
        }
        coordinator.keep(try await coordinator.readFleet(day: CostLedger.day(at: WallClock.now())))
    }

    /// Today's and yesterday's ledger lines with ids, added where the table lacks them.
    private func reconcile() async throws(CoordinatorError) -> Int {
        let now = WallClock.now()
        let days = [CostLedger.day(at: now), CostLedger.day(at: now - 86_400)]
        let directory = ledgerDirectory
        let entries = await WorkerThreads.io.run { CostLedger.entries(in: directory, days: Set(days)) }
        var added = 0
        for day in days {
            added += try await coordinator.reconcile(entries.filter { CostLedger.day(of: $0.entry) == day }, day: day)
        }
        return added
    }

    /// At shutdown: the kept writes (or the next start adds them from the ledger files), then leaving the registry.
    private func leave() async {
        do {
            try await coordinator.flush()
            try await coordinator.deregister()
        } catch {
            logger.warning(
                "coordinator not reached at shutdown; the next start adds this instance's unwritten ledger rows from its ledger file",
                metadata: [
                    "scenedrop.rows": "\(coordinator.pendingWrites)", "error.message": "\(error.message)",
                ]
            )
        }
    }
}
