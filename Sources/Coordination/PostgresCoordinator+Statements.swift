import Logging
import PostgresNIO
import Spend

extension PostgresCoordinator {
    /// The schema, made by the first instance to connect (an advisory lock keeps two from racing).
    /// Amounts are `numeric`: a budget of five images at $0.039 holds exactly five, not four.
    static let schema: [PostgresQuery] = [
        """
        CREATE TABLE IF NOT EXISTS scenedrop_spend (
          id text PRIMARY KEY,
          day date NOT NULL,
          state text NOT NULL CHECK (state IN ('reserved', 'settled', 'released')),
          amount_usd numeric NOT NULL,
          instance text NOT NULL,
          host text NOT NULL,
          session text NOT NULL,
          scene integer NOT NULL,
          model text NOT NULL,
          image_size text,
          priority text,
          reserved_at timestamptz NOT NULL DEFAULT now(),
          settled_at timestamptz
        )
        """,
        "CREATE INDEX IF NOT EXISTS scenedrop_spend_day ON scenedrop_spend (day, state)",
        """
        CREATE TABLE IF NOT EXISTS scenedrop_instances (
          id text PRIMARY KEY,
          host text NOT NULL,
          pid integer NOT NULL,
          inbox text NOT NULL,
          version text NOT NULL,
          started_at timestamptz NOT NULL DEFAULT now(),
          renewed_at timestamptz NOT NULL DEFAULT now(),
          counter bigint NOT NULL DEFAULT 0,
          lease_timeout_s double precision NOT NULL,
          daily_budget_usd numeric,
          sessions_in_flight integer NOT NULL DEFAULT 0
        )
        """,
    ]

    /// The advisory lock class of SceneDrop's locks (the second key is the day, or 0 for the schema).
    static let lockClass: Int32 = 0x5CE0

    /// Serialises reservations of one UTC day until the transaction ends.
    static func lockDay(_ day: String, _ connection: PostgresConnection, _ logger: Logger) async throws {
        let key = Int32(day.filter(\.isNumber)) ?? 0
        try await connection.query("SELECT pg_advisory_xact_lock(\(lockClass), \(key))", logger: logger)
    }

    /// Makes the schema when missing.
    func migrate() async throws(CoordinatorError) {
        try await run("schema") { [client, logger] in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockClass), 0)", logger: logger)
                for statement in Self.schema { try await connection.query(statement, logger: logger) }
            }
        }
    }

    /// Inserts the reservation only when today's reserved and spent amounts plus its price stay within
    /// the budget; returns its id when it did.
    static func reserveStatement(
        _ entry: CostLedger.Entry,
        id: String,
        instance: Instance,
        budget: Double
    ) -> PostgresQuery {
        let (day, price, budget) = (CostLedger.day(of: entry), "\(entry.costUSD)", "\(budget)")
        return """
            INSERT INTO scenedrop_spend (id, day, state, amount_usd, instance, host, session, scene, model, image_size, priority)
            SELECT \(id), \(day)::date, 'reserved', \(price)::numeric, \(instance.id), \(instance.host), \(entry.session), \(entry.scene),
                   \(entry.model), \(entry.imageSize), \(entry.priority)
            WHERE (SELECT coalesce(sum(amount_usd), 0) FROM scenedrop_spend WHERE day = \(day)::date AND state <> 'released')
                  + \(price)::numeric <= \(budget)::numeric
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """
    }

    /// Settles a reservation at the actual cost, or records a charge that had none. Idempotent.
    static func settleStatement(_ entry: CostLedger.Entry, id: String, instance: Instance) -> PostgresQuery {
        let (day, cost) = (CostLedger.day(of: entry), "\(entry.costUSD)")
        return """
            INSERT INTO scenedrop_spend (id, day, state, amount_usd, instance, host, session, scene, model, image_size, priority, settled_at)
            VALUES (\(id), \(day)::date, 'settled', \(cost)::numeric, \(instance.id), \(instance.host), \(entry.session), \(entry.scene),
                    \(entry.model), \(entry.imageSize), \(entry.priority), now())
            ON CONFLICT (id) DO UPDATE SET state = 'settled', amount_usd = EXCLUDED.amount_usd, settled_at = now()
            WHERE scenedrop_spend.state <> 'settled'
            """
    }

    static func releaseStatement(_ id: String) -> PostgresQuery {
        "UPDATE scenedrop_spend SET state = 'released', settled_at = now() WHERE id = \(id) AND state = 'reserved'"
    }
}
