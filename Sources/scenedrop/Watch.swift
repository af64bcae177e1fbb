import ArgumentParser
import Logging
import SceneDropCore

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: watch, process, publish, quarantine, clean up.",
        usage: "scenedrop watch --root <dir> [<options>]",
        discussion: """
            New manifests are noticed at once through inotify. A full rescan also runs \
            at start, every --rescan-interval and right after an inotify queue \
            overflow, and catches what inotify cannot see (writes by other NFS/SMB \
            clients: on such mounts it runs every 2s unless you set it). Several \
            instances, on one or many machines, may watch the same root: each manifest \
            is processed once.

            SIGTERM or SIGINT: stop taking new manifests, let sessions in flight finish \
            (up to --shutdown-grace), hand the rest back to the inbox, exit 0.

            --http ADDR:PORT serves a live page (queue, sessions as contact sheets, \
            quarantine with Requeue, spend and provider health), /metrics for \
            Prometheus, /healthz and /readyz. `scenedrop status --http` prints its URL.

            Example:
              scenedrop watch --root /srv/scenes --retention 7d \\
                --notify-dir /srv/next-stage/inbox --http 127.0.0.1:8080
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var generation: GenerationOptions
    @OptionGroup var web: WebOptions

    @Option(
        name: .customLong("rescan-interval"),
        help: "Full inbox rescan interval (default 10s; 2s when the inbox is on NFS/SMB/9P/FUSE)."
    )
    var rescanInterval: DurationArgument?

    @Option(
        name: .long,
        help:
            "Remove outbox sessions whose session.json is older than this, every --cleanup-interval. Default: keep everything."
    )
    var retention: DurationArgument?

    @Option(
        name: .customLong("quarantine-retention"),
        help: "Age limit for quarantine entries (default: the same as --retention)."
    )
    var quarantineRetention: DurationArgument?

    @Option(name: .customLong("cache-retention"), help: "Age limit for image cache entries.")
    var cacheRetention: DurationArgument = DurationArgument(.seconds(30 * 86_400), text: "30d")

    @Option(name: .customLong("cleanup-interval"), help: "How often the retention policy runs (with --retention).")
    var cleanupInterval: DurationArgument = DurationArgument(.seconds(3600), text: "1h")

    @Option(
        name: .customLong("shutdown-grace"),
        help:
            "On SIGTERM/SIGINT, how long sessions in flight may take before their manifests are handed back to the inbox."
    )
    var shutdownGrace: DurationArgument = DurationArgument(.seconds(30), text: "30s")

    func validate() throws {
        if let rescanInterval, rescanInterval.duration < .milliseconds(100) {
            throw ValidationError("--rescan-interval must be at least 100ms")
        }
        if cleanupInterval.duration < .seconds(1) { throw ValidationError("--cleanup-interval must be at least 1s") }
        _ = try web.settings()
    }

    func run() async throws {
        let logger = common.makeLogger()
        var configuration = Configuration(layout: common.layout)
        generation.apply(to: &configuration)
        configuration.rescanInterval = rescanInterval?.duration
        configuration.retention = retention?.duration
        configuration.quarantineRetention = quarantineRetention?.duration
        configuration.cacheRetention = cacheRetention.duration
        configuration.cleanupInterval = cleanupInterval.duration
        configuration.shutdownGrace = shutdownGrace.duration
        configuration.web = try web.settings()

        let daemon = Daemon(configuration: configuration, generation: try generation.settings(), logger: logger)
        do {
            try await daemon.watch()
        } catch let error as StartupError {
            logger.critical(
                "daemon cannot start",
                metadata: ["error.type": "\(error.code.rawValue)", "error.message": "\(error.message)"]
            )
            throw ExitCode(64)
        } catch {
            logger.critical("daemon stopped on an error", metadata: ["error.message": "\(error)"])
            throw ExitCode.failure
        }
    }
}
