import DropFolder
import SystemSupport

extension Intake {
    /// A claim waiting for a batch job frees its `--max-sessions` place and its file name (a re-drop
    /// under that name is taken at once, to replace the batch, not a day later).
    func setAside(_ claim: ClaimedManifest) async {
        guard setAsidePaths.insert(claim.path).inserted else { return }
        bigPaths.remove(claim.path)
        if expressPaths.remove(claim.path) == nil { inFlight -= 1 }
        inFlightNames.remove(claim.inboxName)
        if arrivedWhileInFlight.remove(claim.inboxName) != nil, accepting {
            await enqueue(claim.inboxName)
        } else {
            await pump()
        }
    }
}
