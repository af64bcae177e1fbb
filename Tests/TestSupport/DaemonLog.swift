/// The daemon's log messages that tests wait on or count, in one place.
///
/// A test that waits for a message the daemon no longer logs (reworded, moved to another level)
/// would only time out, 90 seconds later, with nothing to say why. Naming the messages here makes
/// every such test go through `DaemonLog`, and `DaemonLogTests` checks in a fraction of a second
/// that each one is still written, word for word, somewhere under `Sources/`.
package enum DaemonLog: String, CaseIterable, Sendable {
    case inboxWatchInPlace = "inbox watch in place"
    case referenceLoaded = "reference loaded"
    case inboxRescanned = "inbox rescanned"
    case inboxRescanSkipped = "inbox rescan skipped: the inbox changed since start"
    case inboxChangedSinceStart =
        "inbox changed since start; no file is taken from it until it is the folder opened at start again"
    case inboxBackToTheOneOpenedAtStart =
        "inbox is the folder opened at start again; files are taken from it again"
    case inotifyOverflowed = "inotify queue overflowed; rescanning the inbox"
    case fileWaitingNotTaken = "file waiting in the inbox and not taken"
    case mountCachesOtherClients = "the inbox's mount caches what other clients write; pickup can lag"
    case volumeProbed = "volume probed"
    case manifestClaimed = "manifest claimed"
    case manifestQuarantined = "manifest quarantined"
    case sessionPublished = "session published"
    case sessionReplacedFromAnotherFile = "session replaced by a drop from another file"
    case dropSuperseded = "session drop superseded by a newer drop of the same session; this drop is not published"
    case batchDropReplaced = "batch session replaced by a newer drop of the same session; this drop is not published"
    case retryScheduled = "retry scheduled"
    case handedBackAfterSystemFault = "manifest handed back to the inbox after a system fault"
    case sceneNotWritten = "scene could not be written; the scenes under way finish before the session is handed back"
    case handedBackAtShutdown = "manifest handed back to the inbox at shutdown"
    case stoppingForSessionsInFlight = "stopping: waiting for sessions in flight"
    case gracePeriodOver = "grace period over: handing back the manifests still in flight"
    case stopped = "stopped"
    case deadInstanceClaimsReturned = "claims of a dead instance returned to the inbox"
    case claimLostToPeer =
        "claim lost before publishing: a peer took this instance for dead and returned the manifest to the inbox; this session is not published here"
    case claimVanished =
        "claim vanished from work/ before publishing, and no peer holds a lease: something else removed it; this session is not published here"
    case ledgerUnwritable = "paid requests stopped: the cost ledger cannot be written"
    case coordinatorConnected = "coordinator connected"
    case coordinatorUnavailable = "coordinator unavailable"
    case coordinatorReachableAgain = "coordinator reachable again"
    case coordinatorReconciled = "ledger lines the coordinator had not seen were added to it"
    case waitsForCoordinator = "paid request waits for the coordinator"
    case batchJobSubmitted = "batch job submitted"
    case batchJobStateChanged = "batch job state changed"
    case batchSessionResumed = "batch session resumed: polling the jobs already submitted"
    case webViewListening = "web view listening"
    case systemdNotificationFailed = "systemd notification could not be sent"
}
