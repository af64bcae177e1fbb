import Logging
import PostgresNIO
import Spend

extension PostgresCoordinator {
    /// Registers this instance or renews its entry (the counter moves, `renewed_at` is the database's
    /// clock); registrations not renewed for a day are removed.
    func renew(sessionsInFlight: Int) async throws(CoordinatorError) {
        let budget = instance.dailyBudgetUSD.map { "\($0)" }
        try await run("registry renewal") { [client, instance, logger] in
            try await client.query(
                """
                INSERT INTO scenedrop_instances (id, host, pid, inbox, version, lease_timeout_s, daily_budget_usd, sessions_in_flight)
                VALUES (\(instance.id), \(instance.host), \(Int(instance.pid)), \(instance.inbox), \(instance.version), \(instance.leaseTimeout),
                        \(budget)::numeric, \(sessionsInFlight))
                ON CONFLICT (id) DO UPDATE SET counter = scenedrop_instances.counter + 1, renewed_at = now(),
                    sessions_in_flight = EXCLUDED.sessions_in_flight
                """,
                logger: logger
            )
            try await client.query(
                "DELETE FROM scenedrop_instances WHERE renewed_at < now() - interval '1 day'",
                logger: logger
            )
        }
    }

    /// Removes this instance's registration (a clean shutdown).
    func deregister() async throws(CoordinatorError) {
        try await run("registry removal") { [client, instance, logger] in
            try await client.query("DELETE FROM scenedrop_instances WHERE id = \(instance.id)", logger: logger)
        }
    }

    /// The registry and `day`'s amounts per instance.
    func readFleet(day: String) async throws(CoordinatorError) -> FleetReport {
        let coordinator = address.description
        return try await run("fleet") { [client, logger] in
            var members: [FleetReport.Member] = []
            let rows = try await client.query(
                """
                SELECT i.id, i.host, i.pid, i.inbox, i.version,
                       to_char(i.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started,
                       extract(epoch FROM now() - i.renewed_at)::float8 AS ago, i.lease_timeout_s, i.sessions_in_flight,
                       i.daily_budget_usd::float8 AS budget,
                       coalesce(sum(s.amount_usd) FILTER (WHERE s.state = 'settled'), 0)::float8 AS spent,
                       coalesce(sum(s.amount_usd) FILTER (WHERE s.state = 'reserved'), 0)::float8 AS reserved
                FROM scenedrop_instances i LEFT JOIN scenedrop_spend s ON s.instance = i.id AND s.day = \(day)::date
                GROUP BY i.id ORDER BY i.host, i.started_at
                """,
                logger: logger
            )
            for try await row in rows {
                let cells = row.makeRandomAccess()
                let ago = try cells["ago"].decode(Double.self)
                let timeout = try cells["lease_timeout_s"].decode(Double.self)
                members.append(
                    .init(
                        instance: try cells["id"].decode(String.self),
                        host: try cells["host"].decode(String.self),
                        pid: try cells["pid"].decode(Int.self),
                        inbox: try cells["inbox"].decode(String.self),
                        version: try cells["version"].decode(String.self),
                        startedAt: try cells["started"].decode(String.self),
                        renewedAgoSeconds: ago,
                        leaseTimeoutSeconds: timeout,
                        state: ago > timeout ? "lost" : "live",
                        sessionsInFlight: try cells["sessions_in_flight"].decode(Int.self),
                        dailyBudgetUSD: try cells["budget"].decode(Double?.self),
                        spentTodayUSD: try cells["spent"].decode(Double.self),
                        reservedUSD: try cells["reserved"].decode(Double.self)
                    )
                )
            }
            let totals = try await client.query(
                """
                SELECT coalesce(sum(amount_usd) FILTER (WHERE state = 'settled'), 0)::float8,
                       coalesce(sum(amount_usd) FILTER (WHERE state = 'reserved'), 0)::float8,
                       count(*) FILTER (WHERE state = 'settled')
                FROM scenedrop_spend WHERE day = \(day)::date
                """,
                logger: logger
            )
            var report = FleetReport(
                coordinator: coordinator,
                day: day,
                members: members,
                spentTodayUSD: 0,
                reservedUSD: 0,
                paidImagesToday: 0
            )
            for try await (spent, reserved, count) in totals.decode((Double, Double, Int).self) {
                (report.spentTodayUSD, report.reservedUSD, report.paidImagesToday) = (spent, reserved, count)
            }
            return report
        }
    }

    /// Adds every ledger line of `day` that carries an id and is not settled in the table yet: lines an
    /// instance wrote while the database was down, and did not get to write there before it stopped.
    /// Returns how many were added.
    func reconcile(
        _ entries: [(instance: String, entry: CostLedger.Entry)],
        day: String
    ) async throws(CoordinatorError) -> Int {
        let settled: Set<String> = try await run("ledger reconciliation") { [client, logger] in
            var ids = Set<String>()
            let rows = try await client.query(
                "SELECT id FROM scenedrop_spend WHERE day = \(day)::date AND state = 'settled'",
                logger: logger
            )
            for try await id in rows.decode(String.self) { ids.insert(id) }
            return ids
        }
        var added = 0
        for (owner, entry) in entries {
            guard let id = entry.id, !settled.contains(id) else { continue }
            var writer = instance
            writer.id = owner
            try await run("ledger reconciliation") { [client, logger, writer] in
                try await client.query(Self.settleStatement(entry, id: id, instance: writer), logger: logger)
            }
            added += 1
        }
        return added
    }
}

extension PostgresCoordinator {
    /// The fleet as the database has it now, for `scenedrop status`: connects, reads, disconnects.
    package static func fleet(
        at address: CoordinatorAddress,
        day: String,
        logger: Logger
    ) async throws(CoordinatorError) -> FleetReport {
        let reader = PostgresCoordinator(
            address: address,
            instance: Instance(id: "", host: "", pid: 0, inbox: "", version: "", leaseTimeout: 0, dailyBudgetUSD: nil),
            logger: logger
        )
        let result = await withTaskGroup(of: Void.self) { group in
            group.addTask { await reader.runClient() }
            defer { group.cancelAll() }
            do throws(CoordinatorError) {
                return Result<FleetReport, CoordinatorError>.success(try await reader.readFleet(day: day))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
