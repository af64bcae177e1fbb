import DropFolder
import Logging
import SystemSupport

/// Decides which inbox files to claim and when. Close and move events are trusted at once;
/// files found by a rescan pass the stability gate first. At most `maxSessions` claims are in
/// hand: the rest wait in the inbox, where another instance may take them.
///
/// In `drainOnce` mode (`scenedrop process`) only the files present at the first rescan are taken,
/// each once, and the claim stream ends when every one of them is claimed, gone or has been changing
/// for longer than the patience.
///
/// Every system call (listing, `lstat`, the claim's rename, the dead-instance check) runs on the I/O
/// threads; the actor only decides. Times come from the injected monotonic clock.
actor Intake {
    private let inbox: String
    private let workFolder: String
    private let work: WorkArea
    let maxSessions: Int
    private let initialBackoff: Double
    private let maximumBackoff: Double
    let clock: MonotonicClock
    let logger: Logger
    private let output: AsyncStream<(ClaimedManifest, Double)>.Continuation
    private let recheckRequests: AsyncStream<Double>.Continuation
    /// Counts rescans, overflows and claims for the metrics.
    let activity: Activity

    var gate: StabilityGate
    /// Names waiting for capacity, in arrival order (a head index keeps popping O(1)).
    var queue: [RawName] = []
    var head = 0
    var queued: Set<RawName> = []
    var inFlight = 0
    /// Claims in the express lane (see `nextExpress()`), by path.
    var expressPaths: Set<String> = []
    /// Claims in the regular lane of big manifests (more than `expressBytes`), by path: the express lane has as
    /// many places as these hold slots, so small manifests never wait behind big ones, and where every session
    /// is small, `--max-sessions` alone bounds the claims.
    var bigPaths: Set<String> = []
    /// A manifest file at most this big is small: a few dozen scenes at most.
    static let expressBytes: Int64 = 16 * 1024
    /// How far down the waiting line the express lane looks for a small manifest.
    static let expressLookahead = 256
    /// Claims set aside while they wait for a batch job, by path.
    var setAsidePaths: Set<String> = []
    /// Inbox names whose claim is being processed. An event for one of them (our own hand-back
    /// renaming it into the inbox, or a new drop under the same name) waits until processing ends,
    /// so a backoff is in place before the name can be claimed again.
    var inFlightNames: Set<RawName> = []
    var arrivedWhileInFlight: Set<RawName> = []
    /// Inbox files seen by rescans and not taken, since when, and why the last claim of each failed
    /// (Intake+Waiting): a file left waiting is logged, never silently skipped.
    var waitingSince: [RawName: Double] = [:]
    var warnedWaiting: Set<RawName> = []
    var claimProblems: [RawName: String] = [:]
    var staleAfter: Double
    var accepting = true
    /// How the inbox's path no longer names the folder opened at start, as the last rescan found it.
    var inboxChange: String?
    var backoff: [RawName: (until: Double, failures: Int)] = [:]
    private var reportedFolders: Set<RawName> = []
    /// Recheck times already requested and not yet due, so a burst does not start a timer per file.
    private var pendingRechecks: Set<Int> = []
    /// A pump or a rescan is under way (they await the I/O threads): a second caller leaves the work
    /// to it, so claims stay in order and a burst of events costs one listing, not one each.
    private var pumping = false
    private var scanning = false
    private var scanAgain = false

    /// drainOnce: the names still to take (`nil` until the first listing), and when patience ends.
    var wanted: Set<RawName>?
    /// drainOnce: seconds a file may keep changing before the run leaves it, and when that is over.
    let patience: Double?
    let patienceEnds: Double?
    var summary = BatchSummary()
    /// drainOnce, and everything it was to take is taken: the run ends when those sessions do.
    var drained = false

    /// Running totals, reported with each rescan.
    private(set) var stats = Stats()

    struct Stats: Sendable {
        var claimed = 0
        var rescans = 0
        var overflows = 0
    }

    init(
        configuration: Configuration,
        work: WorkArea,
        mode: Daemon.Mode = .watch,
        clock: MonotonicClock,
        logger: Logger,
        output: AsyncStream<(ClaimedManifest, Double)>.Continuation,
        recheckRequests: AsyncStream<Double>.Continuation,
        activity: Activity = Activity()
    ) {
        self.activity = activity
        inbox = configuration.layout.inbox
        workFolder = configuration.layout.work
        self.work = work
        maxSessions = configuration.effectiveMaxSessions
        initialBackoff = configuration.initialBackoff.seconds
        maximumBackoff = configuration.maximumBackoff.seconds
        gate = StabilityGate(settle: configuration.settle.seconds)
        staleAfter = Self.staleAfter(
            rescanInterval: (configuration.rescanInterval ?? .seconds(10)).seconds,
            settle: configuration.settle.seconds
        )
        self.clock = clock
        self.logger = logger
        self.output = output
        self.recheckRequests = recheckRequests
        if case .drainOnce(let patience) = mode { self.patience = patience.seconds } else { patience = nil }
        patienceEnds = patience.map { clock.now() + $0 }
    }

    var isDraining: Bool { patienceEnds != nil }

    /// A close-after-write or move-in event: the file is complete, claim it now. Unless its JSON ends early: a
    /// writer that writes half, closes, and opens it again to append the rest would find it gone (claimed) and
    /// make a second file of the rest. Such a file waits on the stability gate, like a file a rescan found, and
    /// is claimed once it stops changing for `--settle` (then judged whole or not).
    func arrived(_ name: RawName) async {
        guard accepting, !isDraining, InboxFilter.accepts(name.text) else { return }
        gate.forget(name)
        if inFlightNames.contains(name) {
            arrivedWhileInFlight.insert(name)
            return
        }
        let work = self.work
        if let unfinished = await WorkerThreads.io.run({ Self.unfinished(name, work: work) }) {
            guard accepting, !queued.contains(name), !inFlightNames.contains(name) else { return }
            logger.debug(
                "manifest ends early; waiting for its writer before the claim",
                metadata: ["scenedrop.file": "\(name)"]
            )
            if case .recheck(let at) = gate.observe(name, unfinished, now: clock.now()) { requestRecheck(at: at) }
            return
        }
        await enqueue(name)
    }

    func overflowed() async {
        stats.overflows += 1
        activity.overflowed()
        logger.warning("inotify queue overflowed; rescanning the inbox", metadata: ["scenedrop.inbox": "\(inbox)"])
        await rescan()
    }

    /// Lists the inbox: stable files are queued, changing ones are looked at again after `settle`.
    /// Also returns the claims of dead instances to the inbox first.
    func rescan() async {
        guard accepting else { return }
        if scanning {
            scanAgain = true
            return
        }
        scanning = true
        defer { scanning = false }
        repeat {
            scanAgain = false
            await rescanOnce()
        } while scanAgain && accepting
    }

    private func rescanOnce() async {
        stats.rescans += 1
        let work = self.work
        // The inbox is worked on through the folder opened at start. If its path now names something else (a
        // link swapped in for it), that folder may stand anywhere: nothing more is taken from it until the
        // path names it again. Said once per change.
        let change = await WorkerThreads.io.run { work.inboxChange() }
        if change != inboxChange {
            if let change {
                logger.error(
                    "inbox changed since start; no file is taken from it until it is the folder opened at start again",
                    metadata: [
                        "scenedrop.inbox": "\(inbox)", "scenedrop.change": "\(change)",
                    ]
                )
            } else {
                logger.notice(
                    "inbox is the folder opened at start again; files are taken from it again",
                    metadata: ["scenedrop.inbox": "\(inbox)"]
                )
            }
            inboxChange = change
        }
        guard change == nil else {
            logger.debug("inbox rescan skipped: the inbox changed since start")
            return
        }
        let listing = await WorkerThreads.io.run {
            () -> ([WorkArea.Recovery], Result<[InboxScanner.Candidate], SystemError>) in
            (
                work.recoverDeadInstances(),
                Result { () throws(SystemError) in try InboxScanner.scan(work.inboxDirectory) }
            )
        }
        for recovery in listing.0 where !recovery.returned.isEmpty {
            logger.notice(
                "claims of a dead instance returned to the inbox",
                metadata: [
                    "scenedrop.dead_instance": "\(recovery.instanceID)",
                    "scenedrop.count": "\(recovery.returned.count)",
                    "scenedrop.reason": "\(recovery.reason)",
                ]
            )
        }
        var candidates: [InboxScanner.Candidate]
        switch listing.1 {
        case .success(let found): candidates = found
        case .failure(let error):
            logger.error("inbox could not be listed", metadata: ["error.message": "\(error.description)"])
            return
        }
        guard accepting else { return }
        if isDraining { candidates = narrowToWanted(candidates) }
        let now = clock.now()
        var present: Set<RawName> = []
        var earliestRecheck: Double?
        var stable: [(name: RawName, mtime: Int64)] = []
        for candidate in candidates {
            present.insert(candidate.name)
            if candidate.info.kind == .directory {
                if reportedFolders.insert(candidate.name).inserted {
                    logger.warning("folder in the inbox ignored", metadata: ["scenedrop.file": "\(candidate.name)"])
                }
                continue
            }
            if queued.contains(candidate.name) || inFlightNames.contains(candidate.name) { continue }
            if let wait = backoff[candidate.name], wait.until > now {
                earliestRecheck = min(earliestRecheck ?? wait.until, wait.until)
                continue
            }
            switch gate.observe(candidate.name, StabilityGate.Observation(candidate.info), now: now) {
            case .stable: stable.append((candidate.name, candidate.info.mtimeNanoseconds))
            case .recheck(let at): earliestRecheck = min(earliestRecheck ?? at, at)
            }
        }
        gate.retain(only: present)
        noteWaiting(candidates, now: now)
        activity.rescanned(inboxFiles: candidates.count)
        reportedFolders.formIntersection(present)
        if let patienceEnds, now >= patienceEnds, earliestRecheck != nil {
            giveUpOnChangingFiles(except: Set(stable.map(\.name)))
            earliestRecheck = nil
        }
        if let earliestRecheck { requestRecheck(at: earliestRecheck) }
        logger.debug(
            "inbox rescanned",
            metadata: [
                "scenedrop.rescan": "\(stats.rescans)", "scenedrop.candidates": "\(candidates.count)",
                "scenedrop.settling": "\(gate.trackedCount)", "scenedrop.queued": "\(queued.count)",
                "scenedrop.claimed_total": "\(stats.claimed)", "scenedrop.overflows_total": "\(stats.overflows)",
            ]
        )
        // Oldest first: of two drops of one session found by one rescan, the one written last is claimed last,
        // and the last claimed wins (`SessionVersions`).
        stable.sort { ($0.mtime, $0.name) < ($1.mtime, $1.name) }
        for file in stable { await enqueue(file.name) }
        finishIfDrained()
    }

    func enqueue(_ name: RawName) async {
        guard queued.insert(name).inserted else { return }
        queue.append(name)
        await pump()
    }

    /// Claims queued names while there is capacity.
    func pump() async {
        guard !pumping else { return }
        pumping = true
        defer {
            pumping = false
            if !accepting { output.finish() }
        }
        while accepting, head < queue.count {
            let name: RawName
            var express = false
            if inFlight < maxSessions {
                name = queue[head]
                head += 1
            } else if expressPaths.count < bigPaths.count, let index = await nextExpress() {
                // Every session slot is held (by big sessions, perhaps for hours): a small manifest still goes,
                // in the express lane, instead of waiting behind all of their scenes.
                name = queue.remove(at: index)
                express = true
            } else {
                break
            }
            queued.remove(name)
            if head > 1024, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            if let wait = backoff[name], wait.until > clock.now() {
                requestRecheck(at: wait.until)
                continue
            }
            let attempt = await Self.claim(name, work: work)
            wanted?.remove(name)
            switch attempt {
            case .gone:
                claimProblems[name] =
                    "its claim (a rename into \(workFolder)) found it gone: another instance took it, or this mount's view of the inbox is stale"
                continue
            case .failed(let error):
                logger.error(
                    "claim failed",
                    metadata: ["scenedrop.file": "\(name)", "error.message": "\(error.description)"]
                )
                claimProblems[name] = "its claim failed: \(error.description)"
                // Left where it is, untouched; `process` reports it and exits 1 so cron notices.
                if isDraining {
                    summary.unclaimed.append(.init(file: name.text, detail: Self.unclaimable(error, work: workFolder)))
                }
                continue
            case .claimed(let claim, let size):
                // The audit trail's first line for a manifest; its time is what drop → claim is measured by.
                logger.info(
                    "manifest claimed",
                    metadata: ["scenedrop.file": "\(name)", "scenedrop.lane": "\(express ? "express" : "regular")"]
                )
                if express {
                    expressPaths.insert(claim.path)
                } else {
                    inFlight += 1
                    if size > Self.expressBytes { bigPaths.insert(claim.path) }
                }
                inFlightNames.insert(name)
                stats.claimed += 1
                activity.claimed()
                output.yield((claim, WallClock.now()))
            }
        }
    }

    /// A claim's processing ended.
    func finished(_ claim: ClaimedManifest, _ outcome: ProcessOutcome) async {
        var arrivedMeanwhile = false
        bigPaths.remove(claim.path)
        if setAsidePaths.remove(claim.path) == nil {
            if expressPaths.remove(claim.path) == nil { inFlight -= 1 }
            inFlightNames.remove(claim.inboxName)
            arrivedMeanwhile = arrivedWhileInFlight.remove(claim.inboxName) != nil
        }
        if isDraining {
            summary.add(file: claim.originalName, outcome: outcome)
        } else {
            switch outcome {
            case .handedBack(let name, _):
                let failures = (backoff[name]?.failures ?? 0) + 1
                let delay = Backoff(initial: initialBackoff, maximum: maximumBackoff).delay(after: failures)
                let until = clock.now() + delay
                backoff[name] = (until, failures)
                requestRecheck(at: until)
                logger.info(
                    "retry scheduled",
                    metadata: ["scenedrop.file": "\(name)", "scenedrop.retry_in_s": "\(delay)"]
                )
            case .published, .quarantined, .superseded:
                backoff[claim.inboxName] = nil
            case .cancelled, .stuck, .claimLost:
                break
            }
        }
        // A new file dropped under the same name while we worked: take it now (pump honours any backoff).
        if arrivedMeanwhile, accepting {
            await enqueue(claim.inboxName)
        } else {
            await pump()
        }
        finishIfDrained()
    }

    /// Asks for a rescan at `time`, unless one is already due within the same 50 ms.
    private func requestRecheck(at time: Double) {
        let now = clock.now()
        pendingRechecks = pendingRechecks.filter { Double($0) * 0.05 > now }
        let slot = Int((time / 0.05).rounded(.up))
        guard pendingRechecks.insert(slot).inserted else { return }
        recheckRequests.yield(Double(slot) * 0.05)
    }

    /// Stops claiming; claims already in hand go on. A claim being made right now is still handed to
    /// the workers: the claim stream ends only after it.
    func stopAccepting() {
        accepting = false
        recheckRequests.finish()
        if !pumping { output.finish() }
    }

    var claimsInFlight: Int { inFlight + expressPaths.count + setAsidePaths.count }

    /// The index in the waiting line of the first small manifest (at most `expressBytes`) past `head`, looking
    /// at most `expressLookahead` names down; nil when there is none.
    func nextExpress() async -> Int? {
        let end = min(queue.count, head + Self.expressLookahead)
        guard head < end else { return nil }
        let (names, work) = (Array(queue[head..<end]), self.work)
        let small = await WorkerThreads.io.run { () -> Int? in
            names.firstIndex { name in
                guard let info = try? work.inboxDirectory.info(name) else { return false }
                return info.kind == .regular && info.size <= Self.expressBytes
            }
        }
        return small.map { head + $0 }
    }
}
