import Logging
import Spend
import SystemSupport
import TestSupport
import Testing

@testable import Coordination

/// The reservation, settle and release statements against a real PostgreSQL server.
@Suite(
    .serialized,
    .enabled(
        if: PostgresServer.unavailable == nil,
        "no PostgreSQL server here (Debian package postgresql; .ci/setup test installs it)"
    )
)
struct PostgresCoordinatorTests {
    static let price = 0.039

    func coordinator(_ server: PostgresServer, id: String) throws -> PostgresCoordinator {
        let instance = PostgresCoordinator.Instance(
            id: id,
            host: "test-host",
            pid: 1,
            inbox: "/farm/inbox",
            version: "test",
            leaseTimeout: 60,
            dailyBudgetUSD: 5 * Self.price
        )
        // A long deadline: the whole suite runs beside these tests on two cores.
        return PostgresCoordinator(
            address: try CoordinatorAddress(parsing: server.url),
            instance: instance,
            timeout: 30,
            logger: Logger(label: "test")
        )
    }

    func entry(_ scene: Int, id: String = CostLedger.newID()) -> CostLedger.Entry {
        CostLedger.Entry(
            id: id,
            time: WallClock.rfc3339(WallClock.now()),
            model: "gemini-2.5-flash-image",
            imageSize: nil,
            costUSD: Self.price,
            session: "s",
            scene: scene
        )
    }

    /// Runs `body` with two coordinators on one server, both connected and with the schema in place.
    func withTwo(
        _ body: @escaping @Sendable (PostgresServer, PostgresCoordinator, PostgresCoordinator) async throws -> Void
    ) async throws {
        try await withPostgresServer { server in
            let (a, b) = (try coordinator(server, id: "a"), try coordinator(server, id: "b"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await a.runClient() }
                group.addTask { await b.runClient() }
                try await a.migrate()
                try await b.migrate()
                a.markAvailable()
                b.markAvailable()
                try await body(server, a, b)
                group.cancelAll()
            }
        }
    }

    @Test func fortyReservationsAtOnceFromTwoInstancesGrantExactlyTheBudget() async throws {
        try await withTwo { server, a, b in
            let verdicts = await withTaskGroup(of: SpendReservation.self) { group in
                for scene in 1...40 {
                    group.addTask {
                        await (scene.isMultiple(of: 2) ? a : b).reserve(entry(scene), budget: 5 * Self.price)
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(verdicts.filter { $0 == .granted }.count == 5)
            #expect(verdicts.filter { if case .exceeded = $0 { true } else { false } }.count == 35)
            let reserved = try await server.query(
                "SELECT count(*), sum(amount_usd) FROM scenedrop_spend WHERE state = 'reserved'"
            )
            #expect(reserved == "5|0.195")
        }
    }

    @Test func aReleaseMakesRoomAndASettleCountsOnce() async throws {
        try await withTwo { server, a, b in
            let first = entry(1)
            #expect(await a.reserve(first, budget: Self.price) == .granted)
            #expect(await b.reserve(entry(2), budget: Self.price) == .exceeded(committedUSD: Self.price))
            await a.release(first.id!)
            let second = entry(2)
            #expect(await b.reserve(second, budget: Self.price) == .granted)
            await b.settle(second)
            await b.settle(second)
            // A charge without a reservation (no budget) is recorded by its settle.
            await a.settle(entry(3))
            let states = try await server.query(
                "SELECT state, count(*) FROM scenedrop_spend GROUP BY state ORDER BY state"
            )
            #expect(states == "released|1\nsettled|2")
            #expect(a.pendingWrites == 0 && b.pendingWrites == 0)
        }
    }

    @Test func writesMadeWhileTheServerIsDownAreKeptAndMadeWhenItIsBack() async throws {
        try await withTwo { server, a, _ in
            await server.stop()
            let charge = entry(1)
            let verdict = await a.reserve(entry(2), budget: 1)
            guard case .unavailable(let message) = verdict else {
                Issue.record("reserved with the server down: \(verdict)")
                return
            }
            #expect(message.contains("cannot be reached"), "\(message)")
            await a.settle(charge)
            #expect(a.pendingWrites == 1)
            #expect(!a.isAvailable)
            try await server.startAgain()
            // What the service's loop does every second while the database is down.
            try await waitUntil("the kept charge written", timeout: .seconds(60), interval: .milliseconds(200)) {
                try? await a.flush()
                return a.pendingWrites == 0
            }
            let rows = try await server.query("SELECT id, state FROM scenedrop_spend")
            #expect(rows == "\(charge.id!)|settled")
        }
    }
}
