import DropFolder
import ImageGeneration
import Logging
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// `scenedrop process`: takes what is in the inbox now, processes it, and returns a summary.
/// Uses the same claim, gate and processor as the daemon, so a cron job and a daemon can share a root.
public struct BatchRunner: Sendable {
    public let configuration: Configuration
    public let chain: ProviderChain
    public let logger: Logger
    /// How long to wait for files still being written before leaving them for the next run.
    public var patience: Duration = .seconds(60)

    public init(configuration: Configuration, chain: ProviderChain, logger: Logger) {
        self.configuration = configuration
        self.chain = chain
        self.logger = logger
    }

    public func run() async throws -> BatchSummary {
        let started = WallClock.now()
        let layout = configuration.layout
        try layout.create()
        let work = try WorkArea(inbox: layout.inbox, workRoot: layout.work, instanceID: WorkArea.makeInstanceID())
        defer { work.close() }
        for recovery in work.recoverDeadInstances() where !recovery.returned.isEmpty {
            logger.notice("claims of a dead instance returned to the inbox", metadata: [
                "scenedrop.instance": "\(recovery.instanceID)", "scenedrop.count": "\(recovery.returned.count)",
            ])
        }
        let processor = SessionProcessor(
            configuration: configuration, work: work, chain: chain,
            limiter: ConcurrencyLimiter(limit: configuration.concurrency), logger: logger)

        var summary = BatchSummary()
        var gate = StabilityGate(settle: configuration.settle.seconds)
        var wanted: Set<String>?
        let deadline = started + patience.seconds
        let maxSessions = configuration.effectiveMaxSessions

        try await withThrowingTaskGroup(of: (ClaimedManifest, ProcessOutcome).self) { group in
            var inFlight = 0
            func record(_ result: (ClaimedManifest, ProcessOutcome)) {
                inFlight -= 1
                summary.add(file: result.0.originalName, outcome: result.1)
            }
            while true {
                let candidates = try InboxScanner.scan(layout.inbox).filter { $0.info.kind != .directory }
                // Only what was there at the start: files dropped during the run wait for the next one.
                if wanted == nil { wanted = Set(candidates.map(\.name)) }
                let pending = candidates.filter { wanted!.contains($0.name) }
                if pending.isEmpty { break }
                let now = WallClock.now()
                var nextCheck: Double?
                for candidate in pending {
                    let observation = StabilityGate.Observation(
                        size: candidate.info.size, mtimeNanoseconds: candidate.info.mtimeNanoseconds, inode: candidate.info.inode)
                    switch gate.observe(candidate.name, observation, now: now) {
                    case .recheck(let at):
                        nextCheck = min(nextCheck ?? at, at)
                    case .stable:
                        wanted!.remove(candidate.name)
                        let claim: ClaimedManifest
                        do throws(SystemError) {
                            // nil: another instance took it first, which is its to report.
                            guard let claimed = try work.claim(candidate.name) else { continue }
                            claim = claimed
                        } catch {
                            // Left where it is, untouched; the run reports it and exits 1 so cron notices.
                            logger.error("claim failed", metadata: ["scenedrop.file": "\(candidate.name)", "error.message": "\(error.description)"])
                            summary.unclaimed.append(.init(file: candidate.name, detail: Self.unclaimable(error, work: layout.work)))
                            continue
                        }
                        while inFlight >= maxSessions, let done = try await group.next() { record(done) }
                        inFlight += 1
                        group.addTask { (claim, await processor.process(claim, receivedAt: now)) }
                    }
                }
                if let nextCheck {
                    if WallClock.now() > deadline {
                        for name in pending.map(\.name) where wanted!.contains(name) {
                            summary.skipped.append(.init(file: name, detail: "still changing after \(Int(patience.seconds))s; left for the next run"))
                        }
                        break
                    }
                    let wait = max(0, nextCheck - WallClock.now())
                    try await Task.sleep(for: .milliseconds(Int(wait * 1000) + 5))
                }
            }
            while let done = try await group.next() { record(done) }
        }
        summary.durationMS = Int(((WallClock.now() - started) * 1000).rounded())
        return summary
    }
}

extension BatchRunner {
    /// Why a claim failed, in words that say what to fix.
    static func unclaimable(_ error: SystemError, work: String) -> String {
        switch error.errno {
        case EXDEV:
            return "could not be claimed: the inbox and \(work) are on different filesystems (a claim is a rename); left in the inbox"
        case EACCES, EPERM, EROFS:
            return "could not be claimed: the inbox is not writable by this user (\(error.shortDescription)); left in the inbox"
        default:
            return "could not be claimed (\(error.description)); left in the inbox"
        }
    }
}

/// What `scenedrop process` prints (`--json` prints this structure).
public struct BatchSummary: Codable, Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var file: String
        public var detail: String
    }

    public var published: [Entry] = []
    public var quarantined: [Entry] = []
    public var handedBack: [Entry] = []
    public var skipped: [Entry] = []
    /// Files the run could not take from the inbox (it is not writable, say): left there untouched.
    public var unclaimed: [Entry] = []
    public var durationMS = 0

    enum CodingKeys: String, CodingKey {
        case published, quarantined
        case handedBack = "handed_back"
        case skipped, unclaimed
        case durationMS = "duration_ms"
    }

    /// Published and nothing else: the run needs no attention.
    public var isClean: Bool { quarantined.isEmpty && handedBack.isEmpty && skipped.isEmpty && unclaimed.isEmpty }

    mutating func add(file: String, outcome: ProcessOutcome) {
        switch outcome {
        case .published(let session, let scenes, let fallbacks, let replaced):
            published.append(.init(file: file, detail: "\(session): \(scenes) scene(s), \(fallbacks) fallback(s)\(replaced ? ", replaced the previous session" : "")"))
        case .quarantined(let name, let reason):
            quarantined.append(.init(file: file, detail: "\(reason) (quarantine/\(name))"))
        case .handedBack(let name, let error):
            handedBack.append(.init(file: file, detail: "back in the inbox as \(name): \(error)"))
        case .cancelled(let name):
            handedBack.append(.init(file: file, detail: "cancelled; back in the inbox as \(name)"))
        case .stuck(let error):
            handedBack.append(.init(file: file, detail: "left in work/ for recovery: \(error)"))
        }
    }
}
