import DropFolder
import Logging
import Outbox
import SceneManifest
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// How a claim ends when it is not published. Each ending's system calls run on the I/O threads, and
/// they run even in a cancelled task: a hand-back at shutdown must still happen.
extension SessionProcessor {
    func quarantine(_ claim: ClaimedManifest, _ error: ManifestError, logger: Logger) async -> ProcessOutcome {
        let now = WallClock.now()
        let reason = error.reason.rawValue
        let report = QuarantineReport(
            file: claim.originalName,
            reason: reason,
            message: error.message,
            errors: error.issues.map { Issue(path: $0.path, message: $0.message, line: $0.line, column: $0.column) },
            errorsTotal: error.issueCount,
            line: error.line,
            column: error.column,
            quarantinedAt: WallClock.rfc3339(now),
            host: Host.name
        )
        let (quarantine, sync) = (Quarantine(directory: layout.quarantine), configuration.sync)
        do {
            let name = try await WorkerThreads.io.run { () throws(SystemError) in
                try quarantine.admit(claim.path, originalName: claim.originalName, report: report, now: now, sync: sync)
            }
            logger.warning(
                "manifest quarantined",
                metadata: [
                    "scenedrop.reason": "\(reason)", "scenedrop.quarantine_name": "\(name)",
                    "error.message": "\(error.message)",
                ]
            )
            return .quarantined(name: name, reason: reason)
        } catch {
            // Could not even quarantine (disk full?): not the manifest's fault, try again later.
            return await handBack(claim, error: error, logger: logger)
        }
    }

    func handBack(_ claim: ClaimedManifest, error: SystemError, logger: Logger) async -> ProcessOutcome {
        let work = self.work
        do {
            let name = try await WorkerThreads.io.run { () throws(SystemError) in try work.handBack(claim) }
            logger.warning(
                "manifest handed back to the inbox after a system fault",
                metadata: [
                    "error.type": "\(error.shortDescription)", "error.message": "\(error.description)",
                    "scenedrop.inbox_name": "\(name)",
                ]
            )
            return .handedBack(inboxName: name, error: error.description)
        } catch let second {
            // The claim itself gone (a peer took it while this instance looked dead): not a fault to retry.
            if second.errno == ENOENT { return await claimLost(claim, session: nil, logger: logger) }
            logger.error(
                "manifest could not be handed back; it stays in work/ for recovery",
                metadata: [
                    "error.message": "\(error.description)", "error.second": "\(second.description)",
                ]
            )
            return .stuck(error: second.description)
        }
    }

    /// The claim is gone from our work folder: a peer took this instance for dead and returned the
    /// manifest to the inbox, where it (or this instance) takes it again. Nothing is published here.
    /// A peer is blamed only where one holds a lease: without one, something else removed the claim.
    func claimLost(_ claim: ClaimedManifest, session: String?, logger: Logger) async -> ProcessOutcome {
        let work = self.work
        if await WorkerThreads.io.run({ work.hasPossiblyLivePeers }) {
            logger.error(
                "claim lost before publishing: a peer took this instance for dead and returned the manifest to the inbox; this session is not published here",
                metadata: [
                    "scenedrop.claim": "\(claim.path)"
                ]
            )
        } else {
            logger.error(
                "claim vanished from work/ before publishing, and no peer holds a lease: something else removed it; this session is not published here",
                metadata: [
                    "scenedrop.claim": "\(claim.path)"
                ]
            )
        }
        return .claimLost(session: session ?? claim.originalName)
    }

    func cancelled(_ claim: ClaimedManifest, logger: Logger) async -> ProcessOutcome {
        let work = self.work
        do {
            let name = try await WorkerThreads.io.run { () throws(SystemError) in try work.handBack(claim) }
            logger.notice(
                "manifest handed back to the inbox at shutdown",
                metadata: ["scenedrop.inbox_name": "\(name)"]
            )
            return .cancelled(inboxName: name)
        } catch {
            if error.errno == ENOENT { return await claimLost(claim, session: nil, logger: logger) }
            logger.error(
                "manifest could not be handed back; it stays in work/ for recovery",
                metadata: ["error.message": "\(error.description)"]
            )
            return .stuck(error: error.description)
        }
    }

    /// `--notify-dir`: a copy of session.json, by temp file and rename, for the next stage.
    func notify(session: String, bytes: [UInt8], logger: Logger) async {
        guard let dir = configuration.notifyDirectory else { return }
        let sync = configuration.sync
        do {
            try await WorkerThreads.io.run { () throws(SystemError) in
                try FileSystem.makeDirectories(dir)
                try FileSystem.writeAtomically(dir + "/" + session + ".json", bytes: bytes, sync: sync)
            }
        } catch {
            logger.error("notification could not be written", metadata: ["error.message": "\(error.description)"])
        }
    }
}
