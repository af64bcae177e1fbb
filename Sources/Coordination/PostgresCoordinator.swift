import Logging
import PostgresNIO
import Spend
import Synchronization

/// The budget and the instance registry in PostgreSQL, shared by every instance that names the same
/// database. A reservation is one transaction, serialised per day by an advisory lock, that adds the
/// price only when today's reserved and spent amounts leave room for it: the budget holds exactly
/// across hosts. Settling and releasing never wait for the database: a write it cannot make now is
/// kept and made when it answers again (`CoordinatorService`), and every ledger line carries the
/// charge's id, so lines written while it was down are added on the next start too, once each.
package final class PostgresCoordinator: SpendCoordinator, Sendable {
    /// What the registry says of this instance.
    package struct Instance: Sendable {
        package var id: String
        package var host: String
        package var pid: Int32
        package var inbox: String
        package var version: String
        package var leaseTimeout: Double
        package var dailyBudgetUSD: Double?

        package init(
            id: String,
            host: String,
            pid: Int32,
            inbox: String,
            version: String,
            leaseTimeout: Double,
            dailyBudgetUSD: Double?
        ) {
            self.id = id
            self.host = host
            self.pid = pid
            self.inbox = inbox
            self.version = version
            self.leaseTimeout = leaseTimeout
            self.dailyBudgetUSD = dailyBudgetUSD
        }
    }

    enum Write: Sendable {
        case settle(CostLedger.Entry)
        case release(String)
    }

    struct State {
        /// The schema is in place and the last statement succeeded.
        var available = false
        /// It has been available once (the log says "connected" the first time only).
        var connected = false
        /// An outage has been logged and its end has not.
        var down = false
        var lastError = "not connected yet"
        /// Writes the database has not taken yet, by charge id.
        var pending: [String: Write] = [:]
        var fleet: FleetReport?
    }

    package let address: CoordinatorAddress
    package let instance: Instance
    let client: PostgresClient
    let logger: Logger
    /// How long one statement may take before the database counts as unavailable.
    let timeout: Double
    let state = Mutex(State())

    package init(address: CoordinatorAddress, instance: Instance, timeout: Double = 10, logger: Logger) {
        var configuration = address.configuration
        configuration.options.connectTimeout = .milliseconds(Int64(timeout * 1000))
        configuration.options.maximumConnections = 8
        self.client = PostgresClient(
            configuration: configuration,
            backgroundLogger: Logger(label: logger.label, factory: { _ in SwiftLogNoOpLogHandler() })
        )
        self.address = address
        self.instance = instance
        self.timeout = timeout
        self.logger = logger
    }

    /// True while the database answers (as of the last statement).
    package var isAvailable: Bool { state.withLock { $0.available } }

    /// The writes still to be made, for logs and tests.
    package var pendingWrites: Int { state.withLock { $0.pending.count } }

    /// The fleet as of the last renewal.
    package var fleet: FleetReport? { state.withLock { $0.fleet } }

    /// The client's connection pool, until cancelled.
    func runClient() async { await client.run() }

    /// The database answered: paid requests waiting for it go on. The first time it is "connected";
    /// after an outage, wherever it was noticed (a renewal, a reservation, a write), "reachable again".
    func markAvailable() {
        let (connectedBefore, wasDown, kept) = state.withLock { state in
            defer { (state.available, state.connected, state.down) = (true, true, false) }
            return (state.connected, state.down, state.pending.count)
        }
        if !connectedBefore {
            logger.log(
                level: wasDown ? .notice : .info,
                "coordinator connected",
                metadata: ["scenedrop.coordinator": "\(address)"]
            )
        } else if wasDown {
            logger.notice(
                "coordinator reachable again",
                metadata: ["scenedrop.coordinator": "\(address)", "scenedrop.rows_kept": "\(kept)"]
            )
        }
    }

    func keep(_ fleet: FleetReport) { state.withLock { $0.fleet = fleet } }

    package func reserve(_ entry: CostLedger.Entry, budget: Double) async -> SpendReservation {
        let (available, lastError) = state.withLock { ($0.available, $0.lastError) }
        guard available, let id = entry.id else {
            return .unavailable("the coordinator (\(address)) cannot be reached: \(lastError)")
        }
        do {
            let inserted = try await run("reserve") { [client, instance, logger] in
                try await client.withTransaction(logger: logger) { connection in
                    try await Self.lockDay(CostLedger.day(of: entry), connection, logger)
                    let rows = try await connection.query(
                        Self.reserveStatement(entry, id: id, instance: instance, budget: budget),
                        logger: logger
                    )
                    for try await _ in rows { return true }
                    // Already reserved under this id (a batch resumed after a restart): still its own.
                    let existing = try await connection.query(
                        "SELECT 1 FROM scenedrop_spend WHERE id = \(id)",
                        logger: logger
                    )
                    for try await _ in existing { return true }
                    return false
                }
            }
            if inserted { return .granted }
            return .exceeded(committedUSD: (try? await committedToday(day: CostLedger.day(of: entry))) ?? budget)
        } catch {
            return .unavailable("the coordinator (\(address)) cannot be reached: \(error.message)")
        }
    }

    package func settle(_ entry: CostLedger.Entry) async {
        guard let id = entry.id else { return }
        await write(.settle(entry), id: id)
    }

    package func release(_ id: String) async {
        await write(.release(id), id: id)
    }

    package func waitUntilAvailable(seconds: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while !isAvailable {
            guard ContinuousClock.now < deadline, (try? await Task.sleep(for: .milliseconds(250))) != nil else {
                return isAvailable
            }
        }
        return true
    }

    /// Today's reserved and spent amounts, in USD.
    func committedToday(day: String) async throws(CoordinatorError) -> Double {
        try await run("today's total") { [client, logger] in
            let rows = try await client.query(
                "SELECT coalesce(sum(amount_usd), 0)::float8 FROM scenedrop_spend WHERE day = \(day)::date AND state <> 'released'",
                logger: logger
            )
            for try await total in rows.decode(Double.self) { return total }
            return 0
        }
    }

    /// Makes a write now when the database answers, else keeps it for `flush()`.
    private func write(_ write: Write, id: String) async {
        state.withLock { $0.pending[id] = write }
        guard isAvailable else { return }
        try? await perform(write, id: id)
    }

    /// Makes every kept write; stops at the first the database does not take.
    func flush() async throws(CoordinatorError) {
        let writes = state.withLock { $0.pending }
        for (id, write) in writes {
            try await perform(write, id: id)
        }
    }

    private func perform(_ write: Write, id: String) async throws(CoordinatorError) {
        try await run("ledger write") { [client, instance, logger] in
            switch write {
            case .settle(let entry):
                try await client.query(Self.settleStatement(entry, id: id, instance: instance), logger: logger)
            case .release(let id): try await client.query(Self.releaseStatement(id), logger: logger)
            }
        }
        state.withLock { _ = $0.pending.removeValue(forKey: id) }
    }

    /// One statement (or transaction) with the deadline; its failure marks the database unavailable.
    @discardableResult
    func run<Result: Sendable>(
        _ what: String,
        _ operation: @escaping @Sendable () async throws -> Result
    ) async throws(CoordinatorError) -> Result {
        do {
            return try await withDeadline(seconds: timeout, what, operation)
        } catch {
            let (wasDown, kept) = state.withLock { state in
                defer { (state.available, state.down, state.lastError) = (false, true, error.message) }
                return (state.down, state.pending.count)
            }
            // Once per outage, and at start when it cannot be reached at all (a wrong address or password).
            if !wasDown {
                logger.warning(
                    "coordinator unavailable",
                    metadata: [
                        "scenedrop.coordinator": "\(address)", "error.message": "\(error.message)",
                        "scenedrop.rows_kept": "\(kept)",
                        "scenedrop.meanwhile":
                            "\(instance.dailyBudgetUSD == nil ? "images go on; their ledger rows are written when it is back" : "paid requests wait for it (--coordinator-wait), then fall back with budget_unavailable")",
                    ]
                )
            }
            throw error
        }
    }
}
