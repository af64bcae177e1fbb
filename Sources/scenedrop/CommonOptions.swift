import ArgumentParser
import Logging
import SceneDropCore

#if canImport(Glibc)
import Glibc
#endif

/// Where the folders are and how to log: shared by every command.
struct CommonOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The root folder holding inbox/, outbox/, quarantine/ and .scenedrop/ (or set SCENEDROP_ROOT).",
            valueName: "dir"
        )
    )
    var root: String?

    @Option(name: .long, help: ArgumentHelp("Use this inbox instead of <root>/inbox.", valueName: "dir"))
    var inbox: String?

    @Option(name: .long, help: ArgumentHelp("Use this outbox instead of <root>/outbox.", valueName: "dir"))
    var outbox: String?

    @Option(name: .long, help: ArgumentHelp("Use this quarantine instead of <root>/quarantine.", valueName: "dir"))
    var quarantine: String?

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp("Private state (claims, cache, locks) instead of <root>/.scenedrop.", valueName: "dir")
    )
    var stateDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The reference library manifests' references are read from, instead of <root>/references (or set SCENEDROP_REFERENCES).",
            valueName: "dir"
        )
    )
    var references: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("log-format"), help: "text (for people) or json (one object per line, for collectors).")
    var logFormat: String = "text"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "--log-level must be one of trace, debug, info, notice, warning, error, critical (got '\(logLevel)')"
            )
        }
        guard SceneDropLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format must be text or json (got '\(logFormat)')")
        }
        if root == nil, environment("SCENEDROP_ROOT") == nil,
            inbox == nil || outbox == nil || quarantine == nil || stateDir == nil
        {
            throw ValidationError(
                "say where to work: --root DIR (or SCENEDROP_ROOT), or all of --inbox, --outbox, --quarantine and --state-dir"
            )
        }
    }

    var layout: Layout {
        let base = root ?? environment("SCENEDROP_ROOT") ?? "."
        return Layout(
            root: base,
            inbox: inbox,
            outbox: outbox,
            quarantine: quarantine,
            state: stateDir,
            references: references ?? environment("SCENEDROP_REFERENCES")
        )
    }

    /// Sets up logging once for the process and returns the root logger.
    func makeLogger() -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let format = SceneDropLogHandler.Format(rawValue: logFormat) ?? .text
        LoggingSystem.bootstrap { label in SceneDropLogHandler(label: label, format: format, level: level) }
        return Logger(label: "scenedrop")
    }
}

func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    let text = String(cString: value)
    return text.isEmpty ? nil : text
}
