import SystemSupport

/// How one claimed manifest ended.
package enum ProcessOutcome: Sendable, Equatable {
    /// A complete session folder is in the outbox.
    case published(session: String, scenes: Int, fallbacks: Int, replaced: Bool)
    /// The manifest is in quarantine with a report; `reason` is the contract's code.
    case quarantined(name: String, reason: String)
    /// A fault of the machine (disk full, permissions…): the manifest is back in the inbox under
    /// `inboxName`, to be retried after a backoff.
    case handedBack(inboxName: RawName, error: String)
    /// The work was cancelled (shutdown): the manifest is back in the inbox.
    case cancelled(inboxName: RawName)
    /// A newer drop of the same session replaced this one while it waited for its batch job (whose
    /// job was cancelled for the new one's): nothing is published from it, and its claim is released.
    case superseded(session: String)
    /// The claim was gone at the publish (a peer took this instance for dead and returned it to the
    /// inbox): nothing was published here; the peer, or a later look, processes the manifest.
    case claimLost(session: String)
    /// The claim could not even be handed back; it stays in work/ for recovery.
    case stuck(error: String)
}
