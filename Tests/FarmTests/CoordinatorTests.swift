import FakeGemini
import Foundation
import Imaging
import SystemSupport
import TestSupport
import Testing

/// The PostgreSQL coordinator (`--coordinator`, issue 11 part 5) with real daemons, a real private
/// server from Debian's packages, and the fake Gemini API counting what is asked of it.
@Suite(
    .serialized,
    .enabled(
        if: PostgresServer.unavailable == nil,
        "no PostgreSQL server here (Debian package postgresql; .ci/setup test installs it)"
    )
)
struct CoordinatorTests {
    static let jpeg = try! PlaceholderCard(
        sceneNumber: 1,
        prompt: "fleet",
        style: "photorealistic",
        width: 1376,
        height: 768,
        format: .jpeg
    ).render()
    /// The draft model's price (3.1 Flash Lite), which the test manifests get, and sums of it as the
    /// database (numeric, exact) writes them.
    static let price = 0.0336
    static func usd(_ images: Int) -> String { String(format: "%.4f", Double(images) * price) }
    static let lease = ["--lease-renew", "1s", "--lease-timeout", "5s"]

    func environment(_ server: FakeGeminiServer) -> [String: String] {
        ["SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey]
    }

    func emulator(_ prompts: PromptCounts, latency: Duration = .milliseconds(300)) -> GeminiEmulator {
        GeminiEmulator { call in
            prompts.add(call.prompt)
            return GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg", delay: latency)
        }
    }

    /// Waits until `sql` answers `expected`.
    func waitForQuery(
        _ database: PostgresServer,
        _ sql: String,
        _ expected: String,
        timeout: Duration = .seconds(60)
    ) async throws {
        var last = ""
        do {
            try await waitUntil("\(sql) to answer \(expected)", timeout: timeout, interval: .milliseconds(200)) {
                last = (try? await database.query(sql)) ?? "(no answer)"
                return last == expected
            }
        } catch let error as TimedOut {
            throw TimedOut(what: error.what + " (last: \(last))")
        }
    }

    /// The ids of every ledger line under the roots, and of the settled rows of the table.
    func chargeIDs(_ roots: [String], _ database: PostgresServer) async throws -> (ledger: [String], table: [String]) {
        let ledger = roots.flatMap { ledgerLines($0).compactMap { $0["id"] as? String } }.sorted()
        let table = try await database.query("SELECT id FROM scenedrop_spend WHERE state = 'settled' ORDER BY id")
            .split(separator: "\n").map(String.init)
        return (ledger, table.sorted())
    }

    /// How the scenes of the outbox's sessions ended (`generated`, `fallback`, …), counted.
    func sceneStatuses(_ outbox: String) throws -> [String: Int] {
        try publishedSessions(outbox).flatMap(\.sceneEntries).reduce(into: [:]) {
            $0[$1["status"] as? String ?? "?", default: 0] += 1
        }
    }

    /// Two instances whose only link is the coordinator (each on a root of its own, so without it each
    /// would pay its five), a budget of five images, twenty paid scenes: exactly five are paid.
    @Test func theBudgetHoldsExactlyAcrossTwoInstances() async throws {
        let prompts = PromptCounts()
        try await withFakeGemini({ emulator(prompts).handle($0) }) { server in
            try await withPostgresServer { database in
                try await withTemporaryDirectory { dir in
                    let options =
                        Self.lease + [
                            "--coordinator", database.url, "--daily-budget-usd", Self.usd(5), "--concurrency", "2",
                        ]
                    let a = try await WatchDaemon.start(
                        dir + "/a",
                        options,
                        name: "a",
                        environment: environment(server),
                        logDirectory: dir
                    )
                    let b = try await WatchDaemon.start(
                        dir + "/b",
                        options,
                        name: "b",
                        environment: environment(server),
                        logDirectory: dir
                    )
                    for index in 1...10 {
                        let inbox = (index.isMultiple(of: 2) ? a : b).inbox
                        try dropFile(
                            inbox + "/s\(index).json",
                            manifestJSON(session: "s\(index)", scenes: 2, prompt: "fleet \(index)")
                        )
                    }
                    try await waitForSessions(a.outbox, count: 5, timeout: .seconds(180))
                    try await waitForSessions(b.outbox, count: 5, timeout: .seconds(180))
                    prompts.report("budget with coordinator")
                    #expect(prompts.all.values.reduce(0, +) == 5, "paid at the fake API: \(prompts.all)")
                    let statuses = try sceneStatuses(a.outbox).merging(try sceneStatuses(b.outbox), uniquingKeysWith: +)
                    #expect(statuses == ["generated": 5, "fallback": 15])
                    let settled = try await database.query(
                        "SELECT count(*), sum(amount_usd) FROM scenedrop_spend WHERE state = 'settled'"
                    )
                    #expect(settled == "5|\(Self.usd(5))")
                    #expect(
                        try await database.query("SELECT count(*) FROM scenedrop_spend WHERE state = 'reserved'") == "0"
                    )
                    let ids = try await chargeIDs([a.root, b.root], database)
                    #expect(ids.ledger == ids.table && ids.ledger.count == 5)

                    let status = try await SceneDropProcess.run(
                        ["status", "--root", a.root, "--coordinator", database.url, "--json"],
                        logDirectory: dir
                    )
                    #expect(status.status == 0, "\(status.stderr)")
                    let fleet = try #require(
                        (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["fleet"]
                            as? [String: Any]
                    )
                    let members = fleet["members"] as? [[String: Any]] ?? []
                    #expect(members.count == 2 && members.allSatisfy { $0["state"] as? String == "live" }, "\(members)")
                    #expect(fleet["paid_images_today"] as? Int == 5)

                    #expect(try await a.stop() == 0)
                    #expect(try await b.stop() == 0)
                    let registered = try await database.query("SELECT count(*) FROM scenedrop_instances")
                    #expect(registered == "0", "a clean shutdown leaves the registry: \(a.process.stderr.suffix(3000))")
                }
            }
        }
    }

    /// With a budget, losing the database pauses paid requests: nothing is sent while it is down, the
    /// daemon stays up, and when it is back the scenes are generated (not placeholders), each paid once.
    @Test func withABudgetPaidRequestsWaitForTheCoordinatorAndGoOnWhenItIsBack() async throws {
        let prompts = PromptCounts()
        try await withFakeGemini({ emulator(prompts).handle($0) }) { server in
            try await withPostgresServer { database in
                try await withTemporaryDirectory { dir in
                    let options = Self.lease + ["--coordinator", database.url, "--daily-budget-usd", "10"]
                    let daemon = try await WatchDaemon.start(
                        dir + "/root",
                        options,
                        environment: environment(server),
                        logDirectory: dir
                    )
                    try dropFile(
                        daemon.inbox + "/before.json",
                        manifestJSON(session: "before", scenes: 2, prompt: "before")
                    )
                    try await waitForSessions(daemon.outbox, count: 1)

                    await database.stop()
                    try dropFile(
                        daemon.inbox + "/during.json",
                        manifestJSON(session: "during", scenes: 2, prompt: "during")
                    )
                    try await daemon.waitForLog(.waitsForCoordinator, count: 2, timeout: .seconds(60)) {
                        $0["scenedrop.session"] == "during"
                    }
                    #expect(
                        prompts.all.keys.filter { $0.contains("during") }.isEmpty,
                        "nothing is sent while the budget cannot be kept"
                    )
                    #expect(daemon.process.isRunning)

                    try await database.startAgain()
                    try await waitForSessions(daemon.outbox, count: 2, timeout: .seconds(120))
                    #expect(try sceneStatuses(daemon.outbox) == ["generated": 4])
                    prompts.report("coordinator down with a budget")
                    #expect(prompts.all.values.reduce(0, +) == 4, "\(prompts.all)")
                    try await daemon.waitForLog(.coordinatorReachableAgain)
                    try await waitForQuery(
                        database,
                        "SELECT count(*), sum(amount_usd) FROM scenedrop_spend WHERE state = 'settled'",
                        "4|\(Self.usd(4))"
                    )
                    let ids = try await chargeIDs([daemon.root], database)
                    #expect(ids.ledger == ids.table)
                    #expect(try await daemon.stop() == 0)
                }
            }
        }
    }

    /// Without a budget, images go on while the database is down; their rows reach it when it is back,
    /// from memory, or after a kill -9 from the ledger file at the next start: none lost, none twice.
    @Test func withoutABudgetImagesGoOnAndNoLedgerRowIsLost() async throws {
        let prompts = PromptCounts()
        try await withFakeGemini({ emulator(prompts, latency: .milliseconds(50)).handle($0) }) { server in
            try await withPostgresServer { database in
                try await withTemporaryDirectory { dir in
                    let options = Self.lease + ["--coordinator", database.url]
                    let first = try await WatchDaemon.start(
                        dir + "/root",
                        options,
                        name: "first",
                        environment: environment(server),
                        logDirectory: dir
                    )
                    try await first.waitForLog(.coordinatorConnected)
                    await database.stop()
                    try dropFile(first.inbox + "/one.json", manifestJSON(session: "one", scenes: 2, prompt: "one"))
                    try await waitForSessions(first.outbox, count: 1)
                    #expect(try sceneStatuses(first.outbox) == ["generated": 2])
                    try await database.startAgain()
                    try await waitForQuery(
                        database,
                        "SELECT count(*) FROM scenedrop_spend WHERE state = 'settled'",
                        "2"
                    )

                    await database.stop()
                    try dropFile(first.inbox + "/two.json", manifestJSON(session: "two", scenes: 2, prompt: "two"))
                    try await waitForSessions(first.outbox, count: 2)
                    first.process.signal(SIGKILL)
                    _ = try await first.process.waitForExit()
                    try await database.startAgain()
                    let second = try await WatchDaemon.start(
                        dir + "/root",
                        options,
                        name: "second",
                        environment: environment(server),
                        logDirectory: dir
                    )
                    try await waitForQuery(
                        database,
                        "SELECT count(*), sum(amount_usd) FROM scenedrop_spend WHERE state = 'settled'",
                        "4|\(Self.usd(4))"
                    )
                    try await second.waitForLog(.coordinatorReconciled)
                    #expect(
                        second.process.logRecords(.coordinatorReconciled).first?[
                            "scenedrop.rows"
                        ] == "2"
                    )
                    prompts.report("coordinator down without a budget")
                    #expect(prompts.all.values.reduce(0, +) == 4)
                    let ids = try await chargeIDs([second.root], database)
                    #expect(ids.ledger == ids.table && ids.ledger.count == 4)
                    #expect(try await second.stop() == 0)
                }
            }
        }
    }

    /// A batch session reserves each scene's batch price with the coordinator before its job is sent:
    /// with room for two, two scenes go in the job and are settled at the batch price, the third ends
    /// with budget_exceeded, and no reservation is left behind.
    @Test func aBatchSessionReservesItsScenesWithTheCoordinator() async throws {
        let prompts = PromptCounts()
        let emulator = emulator(prompts)
        emulator.setBatchBehaviour(BatchBehaviour(pendingFor: .zero, runningFor: .milliseconds(200)))
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withPostgresServer { database in
                try await withTemporaryDirectory { root in
                    try FileSystem.makeDirectories(root + "/inbox")
                    try writeFile(root + "/inbox/night.json", manifestJSON(session: "night", scenes: 3))
                    let run = try await SceneDropProcess.run(
                        [
                            "process", "--root", root, "--settle", "0s", "--priority", "batch", "--batch-poll", "100ms",
                            "--coordinator", database.url, "--daily-budget-usd", Self.usd(1),
                        ],
                        logDirectory: root,
                        environment: environment(server)
                    )
                    #expect(run.status == 0, "\(run.stderr.suffix(2000))")
                    let session = try #require(try publishedSessions(root + "/outbox").first)
                    let reasons = (1...3).map { scene in
                        ((jsonObject(session.path + "/scene-00\(scene).json")?["fallback"] as? [String: Any])?["reason"]
                            as? String) ?? "none"
                    }
                    #expect(reasons == ["none", "none", "budget_exceeded"])
                    // The fake answers a batch's requests through the same handler: two asked, once each.
                    #expect(prompts.all.values.sorted() == [1, 1], "\(prompts.all)")
                    let rows = try await database.query(
                        "SELECT state, priority, count(*), sum(amount_usd) FROM scenedrop_spend GROUP BY state, priority ORDER BY state"
                    )
                    #expect(rows == "settled|batch|2|\(Self.usd(1))")
                    let ids = try await chargeIDs([root], database)
                    #expect(ids.ledger == ids.table && ids.ledger.allSatisfy { $0.hasPrefix("batch-") })
                }
            }
        }
    }

    /// A coordinator that cannot be reached from the start (a wrong port here) is logged once, without
    /// the password, and the daemon works on; an address that is not one is a usage error naming the fix.
    @Test func anUnreachableCoordinatorIsLoggedOnceAndTheDaemonWorksOn() async throws {
        try await withTemporaryDirectory { dir in
            let closed = try SSHFSVolume.freePort()
            let url = "postgres://scenedrop:hunter2@127.0.0.1:\(closed)/scenedrop?sslmode=disable"
            let daemon = try await WatchDaemon.start(dir + "/root", ["--coordinator", url], logDirectory: dir)
            try await daemon.waitForLog(.coordinatorUnavailable, timeout: .seconds(60))
            try dropFile(daemon.inbox + "/one.json", manifestJSON(session: "one"))
            try await waitForSessions(daemon.outbox, count: 1)
            #expect(daemon.process.logRecords(.coordinatorUnavailable).count == 1)
            #expect(!daemon.process.stderr.contains("hunter2"))
            #expect(try await daemon.stop() == 0)

            let usage = try await SceneDropProcess.run(
                ["watch", "--root", dir + "/root", "--coordinator", "mysql://u:hunter2@db/x"],
                logDirectory: dir
            )
            #expect(usage.status == 64)
            #expect(
                usage.stderr.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE")
                    && !usage.stderr.contains("hunter2"),
                "\(usage.stderr)"
            )
        }
    }

    /// The web view's Fleet section: every instance registered with the coordinator, a clean shutdown
    /// leaving it, and the coordinator shown unreachable when its database is down.
    @Test func theWebViewShowsTheFleet() async throws {
        try await withPostgresServer { database in
            try await withTemporaryDirectory { dir in
                let options = Self.lease + ["--coordinator", database.url]
                let web = try await WebDaemon.start(dir + "/a", options)
                let other = try await WatchDaemon.start(dir + "/b", options, name: "b", logDirectory: dir)
                func fleet() async throws -> [String: Any]? {
                    let live =
                        try JSONSerialization.jsonObject(with: Data(try await web.get("/api/live").body))
                        as? [String: Any]
                    return live?["fleet"] as? [String: Any]
                }
                func peers() async throws -> [[String: Any]] { try await fleet()?["peers"] as? [[String: Any]] ?? [] }
                try await waitUntil("both instances in the fleet", timeout: .seconds(60), interval: .milliseconds(200))
                {
                    try await peers().count >= 2
                }
                let both = try await peers()
                #expect(Set(both.compactMap { $0["state"] as? String }) == ["live"], "\(both)")
                let otherID = try #require(
                    other.process.logRecords(.coordinatorConnected).first?["scenedrop.instance"]
                )
                #expect(both.contains { $0["instance"] as? String == otherID })
                let page = try await web.get("/").text
                #expect(page.contains("<h2>Fleet</h2>") && page.contains(otherID) && page.contains("reachable"))

                #expect(try await other.stop() == 0)
                try await waitUntil(
                    "the stopped instance gone from the fleet",
                    timeout: .seconds(60),
                    interval: .milliseconds(200)
                ) {
                    try await peers().count <= 1
                }
                #expect(try await peers().count == 1, "a clean shutdown leaves the fleet")

                await database.stop()
                try await waitUntil("the coordinator unreachable", timeout: .seconds(60), interval: .milliseconds(200))
                {
                    try await fleet()?["reachable"] as? Bool == false
                }
                #expect(try await web.get("/").text.contains("unreachable"))
                #expect(try await web.daemon.stop() == 0, "the daemon stops cleanly without its coordinator")
            }
        }
    }
}
