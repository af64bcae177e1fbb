import Imaging
import SceneManifest

/// Everything the daemon and the one-shot commands are told on the command line.
package struct Configuration: Sendable {
    package var layout: Layout
    /// Full inbox rescan interval; `nil` picks 10 s locally and 2 s on network filesystems.
    package var rescanInterval: Duration?
    /// How long a file found by a rescan must stay unchanged before it is taken.
    package var settle: Duration = .seconds(1)
    /// Provider calls in flight across the whole daemon.
    package var concurrency = 8
    /// Sessions claimed at once; further manifests wait in the inbox, visible to other instances.
    package var maxSessions: Int?
    package var imageFormat: OutputFormat = .png
    /// Quarantine a session (`fallback_used`) when any scene could not come from a real provider.
    package var strict = false
    /// For manifests without a `priority`: `batch` sends each session as a Gemini Batch API job.
    package var priority: Manifest.Priority = .interactive
    /// After a publish, a copy of session.json is written here as `<session>.json` (chaining).
    package var notifyDirectory: String?
    /// Outbox sessions older than this are removed by the daemon's schedule; `nil`: never.
    package var retention: Duration?
    package var quarantineRetention: Duration?
    package var cacheRetention: Duration = .seconds(30 * 86_400)
    package var cleanupInterval: Duration = .seconds(3600)
    /// After SIGTERM, how long in-flight sessions may take before their manifests are handed back.
    package var shutdownGrace: Duration = .seconds(30)
    /// How often this instance's lease moves on, and how long a peer's may stand still before the
    /// peer is taken for dead (its claims go back to the inbox).
    package var leaseRenew: Duration = .seconds(10)
    package var leaseTimeout: Duration = .seconds(60)
    /// First wait before a handed-back manifest is tried again; doubles up to `maximumBackoff`.
    package var initialBackoff: Duration = .seconds(2)
    package var maximumBackoff: Duration = .seconds(300)
    /// fsync files and folders before publishing (off only for benchmarks on throwaway disks).
    package var sync = true
    /// The web view, metrics and health endpoints (`--http`); nil: off.
    package var web: WebSettings?

    package init(layout: Layout) {
        self.layout = layout
    }

    package var effectiveMaxSessions: Int { maxSessions ?? max(2, concurrency) }
}
