import DropFolder
import Logging
import SystemSupport

/// Files that stay in the inbox: after a few rescans each is logged once at warning, with the reason
/// it is not taken, so a stall (a mount whose claims fail, a file that keeps changing) is never silent.
extension Intake {
    /// A few rescans and a settle interval.
    static func staleAfter(rescanInterval: Double, settle: Double) -> Double {
        max(3 * rescanInterval + settle, 3 * settle)
    }

    /// The rescan interval the daemon chose (2 s on network filesystems).
    func useRescanInterval(_ seconds: Double) {
        staleAfter = Self.staleAfter(rescanInterval: seconds, settle: gate.settle)
    }

    func noteWaiting(_ candidates: [InboxScanner.Candidate], now: Double) {
        guard !isDraining else { return }
        var present: Set<RawName> = []
        for candidate in candidates where candidate.info.kind != .directory {
            let name = candidate.name
            if inFlightNames.contains(name) { continue }
            present.insert(name)
            let since = waitingSince[name] ?? now
            waitingSince[name] = since
            guard now - since >= staleAfter, warnedWaiting.insert(name).inserted else { continue }
            logger.warning(
                "file waiting in the inbox and not taken",
                metadata: [
                    "scenedrop.file": "\(name)", "scenedrop.waiting_s": "\(Int(now - since))",
                    "scenedrop.reason": "\(waitingReason(name, now: now))",
                ]
            )
        }
        waitingSince = waitingSince.filter { present.contains($0.key) }
        warnedWaiting.formIntersection(present)
        claimProblems = claimProblems.filter { present.contains($0.key) }
    }

    /// Why `name` is still in the inbox, in words.
    func waitingReason(_ name: RawName, now: Double) -> String {
        if let problem = claimProblems[name] { return problem }
        if let wait = backoff[name], wait.until > now {
            return "it is retried after a fault, in \(Int(wait.until - now)) s (attempt \(wait.failures + 1))"
        }
        if queued.contains(name) {
            return "it waits for a session slot: \(maxSessions) sessions are in flight (--max-sessions)"
        }
        return
            "its size or modification time keeps changing between rescans (--settle \(gate.settle) s); a writer may still be at work, or this mount reports changing attributes"
    }
}
