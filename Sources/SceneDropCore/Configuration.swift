import Imaging
import SceneManifest

/// Everything the daemon and the one-shot commands are told on the command line.
public struct Configuration: Sendable {
    public var layout: Layout
    /// Full inbox rescan interval; `nil` picks 10 s locally and 2 s on network filesystems.
    public var rescanInterval: Duration?
    /// How long a file found by a rescan must stay unchanged before it is taken.
    public var settle: Duration = .seconds(1)
    /// Provider calls in flight across the whole daemon.
    public var concurrency = 8
    /// Sessions claimed at once; further manifests wait in the inbox, visible to other instances.
    public var maxSessions: Int?
    public var imageFormat: OutputFormat = .png
    /// Quarantine a session (`fallback_used`) when any scene could not come from a real provider.
    public var strict = false
    /// For manifests without a `priority`: `batch` sends each session as a Gemini Batch API job.
    public var priority: Manifest.Priority = .interactive
    /// After a publish, a copy of session.json is written here as `<session>.json` (chaining).
    public var notifyDirectory: String?
    /// Outbox sessions older than this are removed by the daemon's schedule; `nil`: never.
    public var retention: Duration?
    public var quarantineRetention: Duration?
    public var cacheRetention: Duration = .seconds(30 * 86_400)
    public var cleanupInterval: Duration = .seconds(3600)
    /// After SIGTERM, how long in-flight sessions may take before their manifests are handed back.
    public var shutdownGrace: Duration = .seconds(30)
    /// How often this instance's lease moves on, and how long a peer's may stand still before the
    /// peer is taken for dead (its claims go back to the inbox).
    public var leaseRenew: Duration = .seconds(10)
    public var leaseTimeout: Duration = .seconds(60)
    /// First wait before a handed-back manifest is tried again; doubles up to `maximumBackoff`.
    public var initialBackoff: Duration = .seconds(2)
    public var maximumBackoff: Duration = .seconds(300)
    /// fsync files and folders before publishing (off only for benchmarks on throwaway disks).
    public var sync = true
    /// The web view, metrics and health endpoints (`--http`); nil: off.
    public var web: WebSettings?

    public init(layout: Layout) {
        self.layout = layout
    }

    public var effectiveMaxSessions: Int { maxSessions ?? max(2, concurrency) }
}
