import DropFolder
import Logging
import SystemSupport

/// Decides which inbox files to claim and when. Close and move events are trusted at once;
/// files found by a rescan pass the stability gate first. At most `maxSessions` claims are in
/// hand: the rest wait in the inbox, where another instance may take them.
actor Intake {
    private let inbox: String
    private let work: WorkArea
    private let maxSessions: Int
    private let settle: Double
    private let initialBackoff: Double
    private let maximumBackoff: Double
    private let logger: Logger
    private let output: AsyncStream<(ClaimedManifest, Double)>.Continuation
    private let recheckRequests: AsyncStream<Double>.Continuation

    private var gate: StabilityGate
    /// Names waiting for capacity, in arrival order (a head index keeps popping O(1)).
    private var queue: [String] = []
    private var head = 0
    private var queued: Set<String> = []
    private var inFlight = 0
    /// Inbox names whose claim is being processed. An event for one of them (our own hand-back
    /// renaming it into the inbox, or a new drop under the same name) waits until processing ends,
    /// so a backoff is in place before the name can be claimed again.
    private var inFlightNames: Set<String> = []
    private var arrivedWhileInFlight: Set<String> = []
    private var accepting = true
    private var backoff: [String: (until: Double, failures: Int)] = [:]
    private var reportedFolders: Set<String> = []
    /// Recheck times already requested and not yet due, so a burst does not start a timer per file.
    private var pendingRechecks: Set<Int> = []
    private var idleWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter: UInt64 = 0

    /// Running totals, reported with each rescan.
    private(set) var stats = Stats()

    struct Stats: Sendable {
        var claimed = 0
        var rescans = 0
        var overflows = 0
    }

    init(
        configuration: Configuration, work: WorkArea, logger: Logger,
        output: AsyncStream<(ClaimedManifest, Double)>.Continuation,
        recheckRequests: AsyncStream<Double>.Continuation
    ) {
        inbox = configuration.layout.inbox
        self.work = work
        maxSessions = configuration.effectiveMaxSessions
        settle = configuration.settle.seconds
        initialBackoff = configuration.initialBackoff.seconds
        maximumBackoff = configuration.maximumBackoff.seconds
        gate = StabilityGate(settle: configuration.settle.seconds)
        self.logger = logger
        self.output = output
        self.recheckRequests = recheckRequests
    }

    /// A close-after-write or move-in event: the file is complete, claim it now.
    func arrived(_ name: String) {
        guard accepting, InboxFilter.accepts(name) else { return }
        gate.forget(name)
        if inFlightNames.contains(name) {
            arrivedWhileInFlight.insert(name)
            return
        }
        enqueue(name)
    }

    func overflowed() {
        stats.overflows += 1
        logger.warning("inotify queue overflowed; rescanning the inbox", metadata: ["scenedrop.inbox": "\(inbox)"])
        rescan()
    }

    /// Lists the inbox: stable files are queued, changing ones are looked at again after `settle`.
    /// Also returns the claims of dead instances to the inbox first.
    func rescan() {
        guard accepting else { return }
        stats.rescans += 1
        for recovery in work.recoverDeadInstances() where !recovery.returned.isEmpty {
            logger.notice("claims of a dead instance returned to the inbox", metadata: [
                "scenedrop.instance": "\(recovery.instanceID)", "scenedrop.count": "\(recovery.returned.count)",
            ])
        }
        let candidates: [InboxScanner.Candidate]
        do {
            candidates = try InboxScanner.scan(inbox)
        } catch {
            logger.error("inbox could not be listed", metadata: ["error.message": "\(error.description)"])
            return
        }
        let now = WallClock.now()
        var present: Set<String> = []
        var earliestRecheck: Double?
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
            let observation = StabilityGate.Observation(
                size: candidate.info.size, mtimeNanoseconds: candidate.info.mtimeNanoseconds, inode: candidate.info.inode)
            switch gate.observe(candidate.name, observation, now: now) {
            case .stable: enqueue(candidate.name)
            case .recheck(let at): earliestRecheck = min(earliestRecheck ?? at, at)
            }
        }
        gate.retain(only: present)
        reportedFolders.formIntersection(present)
        if let earliestRecheck { requestRecheck(at: earliestRecheck) }
        logger.debug("inbox rescanned", metadata: [
            "scenedrop.rescan": "\(stats.rescans)", "scenedrop.candidates": "\(candidates.count)",
            "scenedrop.settling": "\(gate.trackedCount)", "scenedrop.queued": "\(queued.count)",
            "scenedrop.claimed_total": "\(stats.claimed)", "scenedrop.overflows_total": "\(stats.overflows)",
        ])
    }

    private func enqueue(_ name: String) {
        guard queued.insert(name).inserted else { return }
        queue.append(name)
        pump()
    }

    /// Claims queued names while there is capacity.
    private func pump() {
        let now = WallClock.now()
        while accepting, inFlight < maxSessions, head < queue.count {
            let name = queue[head]
            head += 1
            queued.remove(name)
            if head > 1024, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            if let wait = backoff[name], wait.until > now {
                requestRecheck(at: wait.until)
                continue
            }
            // A folder named *.json is never claimed; anything else (links, FIFOs) is claimed by
            // rename, which never opens it, and quarantined by the processor.
            guard let info = try? FileSystem.info(inbox + "/" + name), info.kind != .directory else { continue }
            let claim: ClaimedManifest?
            do {
                claim = try work.claim(name)
            } catch {
                logger.error("claim failed", metadata: ["scenedrop.file": "\(name)", "error.message": "\(error.description)"])
                continue
            }
            guard let claim else { continue }  // someone else took it
            // The audit trail's first line for a manifest; its time is what drop → claim is measured by.
            logger.info("manifest claimed", metadata: ["scenedrop.file": "\(name)"])
            inFlight += 1
            inFlightNames.insert(name)
            stats.claimed += 1
            output.yield((claim, now))
        }
    }

    /// A claim's processing ended.
    func finished(_ claim: ClaimedManifest, _ outcome: ProcessOutcome) {
        inFlight -= 1
        inFlightNames.remove(claim.originalName)
        let arrivedMeanwhile = arrivedWhileInFlight.remove(claim.originalName) != nil
        switch outcome {
        case .handedBack(let name, _):
            let failures = (backoff[name]?.failures ?? 0) + 1
            let delay = min(maximumBackoff, initialBackoff * Double(1 << min(failures - 1, 20)))
            let until = WallClock.now() + delay
            backoff[name] = (until, failures)
            requestRecheck(at: until)
            logger.info("retry scheduled", metadata: ["scenedrop.file": "\(name)", "scenedrop.retry_in_s": "\(delay)"])
        case .published, .quarantined:
            backoff[claim.originalName] = nil
        case .cancelled, .stuck:
            break
        }
        // A new file dropped under the same name while we worked: take it now (pump honours any backoff).
        if arrivedMeanwhile, accepting { enqueue(claim.originalName) }
        pump()
        if inFlight == 0 {
            for waiter in idleWaiters.values { waiter.resume() }
            idleWaiters.removeAll()
        }
    }

    /// Asks for a rescan at `time`, unless one is already due within the same 50 ms.
    private func requestRecheck(at time: Double) {
        let now = WallClock.now()
        pendingRechecks = pendingRechecks.filter { Double($0) * 0.05 > now }
        let slot = Int((time / 0.05).rounded(.up))
        guard pendingRechecks.insert(slot).inserted else { return }
        recheckRequests.yield(Double(slot) * 0.05)
    }

    /// Stops claiming; claims already in hand go on.
    func stopAccepting() {
        accepting = false
        output.finish()
        recheckRequests.finish()
    }

    /// Returns when no claim is in hand, or when the calling task is cancelled.
    func waitUntilIdle() async {
        if inFlight == 0 { return }
        nextWaiter += 1
        let id = nextWaiter
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled || inFlight == 0 {
                    continuation.resume()
                } else {
                    idleWaiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        idleWaiters.removeValue(forKey: id)?.resume()
    }

    var claimsInFlight: Int { inFlight }
}
