import Coordination
import DropFolder
import ImageGeneration
import Outbox
import Spend
import Synchronization
import SystemSupport
import WebView

/// The daemon as the web view sees it: the activity, the inbox, today's spend, the providers'
/// conditions, readiness and Requeue.
struct DaemonLiveSource: LiveSource {
    let activity: Activity
    let layout: Layout
    let chain: ProviderChain
    let dailyBudgetUSD: Double?
    /// Set once the inbox watch is in place.
    let watching: Readiness
    let stopping: Stopping
    /// The coordinator, for the Fleet section; nil without `--coordinator`.
    var coordinator: PostgresCoordinator?
    /// How the inbox's path no longer names the folder the daemon opened (nil while it does).
    var inboxChange: @Sendable () -> String? = { nil }
    /// The inbox listing and the ledger total are read at most once a second, however many pages
    /// are open and however often sessions change.
    private let cached = FolderCache()

    init(
        activity: Activity,
        layout: Layout,
        chain: ProviderChain,
        dailyBudgetUSD: Double?,
        watching: Readiness,
        stopping: Stopping
    ) {
        self.activity = activity
        self.layout = layout
        self.chain = chain
        self.dailyBudgetUSD = dailyBudgetUSD
        self.watching = watching
        self.stopping = stopping
    }

    func live() async -> LiveState {
        let (inbox, spent) = await folders()
        let counts = activity.counts
        return LiveState(
            inbox: inbox,
            inFlight: activity.inFlight,
            spentTodayUSD: spent,
            dailyBudgetUSD: dailyBudgetUSD,
            cacheHits: counts.cacheHits,
            conditions: await chain.conditions(),
            published: counts.published,
            quarantined: counts.quarantined,
            requeued: counts.requeued,
            fleet: coordinator.map(Self.fleet)
        )
    }

    /// The fleet as of the coordinator's last renewal.
    static func fleet(_ coordinator: PostgresCoordinator) -> LiveFleet {
        let report = coordinator.fleet
        let peers = (report?.members ?? []).map {
            LiveFleet.Peer(
                instance: $0.instance,
                host: $0.host,
                state: $0.state,
                renewedAgoSeconds: $0.renewedAgoSeconds,
                sessionsInFlight: $0.sessionsInFlight,
                spentTodayUSD: $0.spentTodayUSD
            )
        }
        return LiveFleet(
            coordinator: coordinator.address.description,
            reachable: coordinator.isAvailable,
            spentTodayUSD: report?.spentTodayUSD ?? 0,
            reservedUSD: report?.reservedUSD ?? 0,
            peers: peers
        )
    }

    private func folders() async -> (LiveState.Inbox, Double) {
        let now = WallClock.now()
        if let hit = cached.value.withLock({ $0 }), now - hit.at < 1 { return (hit.inbox, hit.spent) }
        let layout = self.layout
        let (inbox, spent) = await WorkerThreads.io.run { () -> (LiveState.Inbox, Double) in
            let times = (try? InboxScanner.waitingSince(layout.inbox)) ?? []
            let inbox = LiveState.Inbox(count: times.count, oldestAgeSeconds: times.min().map { max(0, now - $0) })
            return (inbox, CostLedger.spentToday(files: CostLedger.files(in: layout.ledger), now: now))
        }
        cached.value.withLock { $0 = (now, inbox, spent) }
        return (inbox, spent)
    }

    func changes() -> AsyncStream<Void> {
        activity.changes()
    }

    func requeue(_ name: String) async -> Result<String, RequeueRefusal> {
        let (quarantine, inbox) = (Quarantine(directory: layout.quarantine), layout.inbox)
        let result = await WorkerThreads.io.run { () -> Result<String, Quarantine.RequeueError> in
            Result { () throws(Quarantine.RequeueError) in try quarantine.requeue(name, inbox: inbox) }
        }
        switch result {
        case .success(let file):
            activity.requeued()
            return .success(file)
        case .failure(let error):
            return .failure(RequeueRefusal(error.isMissing ? .notFound : .conflict, error.message))
        }
    }

    func problems() async -> [String] {
        var problems: [String] = []
        if stopping.isStopping { problems.append("shutting down") }
        if !watching.isReady { problems.append("the inbox watch is not in place yet") }
        let (layout, inboxChange) = (self.layout, self.inboxChange)
        if let change = await WorkerThreads.io.run({ inboxChange() }) {
            problems.append("the inbox changed since start, and no file is taken from it: \(change)")
        }
        problems += await WorkerThreads.io.run {
            [
                ("inbox", layout.inbox), ("outbox", layout.outbox), ("quarantine", layout.quarantine),
                ("state folder", layout.state),
            ]
            .compactMap { name, path in
                FileSystem.writabilityProblem(path).map {
                    "the \(name) (\(path)) is not writable: \($0.shortDescription)"
                }
            }
        }
        return problems
    }

    func metricsText() -> String {
        activity.metrics.text()
    }
}

/// Set as graceful shutdown begins, so `/readyz` says so while sessions finish.
final class Stopping: Sendable {
    private let flag = Atomic<Bool>(false)
    var isStopping: Bool { flag.load(ordering: .acquiring) }
    func begin() { flag.store(true, ordering: .releasing) }
}

private final class FolderCache: Sendable {
    let value = Mutex<(at: Double, inbox: LiveState.Inbox, spent: Double)?>(nil)
}
