import ArgumentParser
import Foundation
import Outbox
import SceneDropCore
import SystemSupport

struct Cleanup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove old sessions, quarantine and cache entries, staging leftovers.",
        usage: "scenedrop cleanup --root <dir> [--older-than <age>] [<options>]",
        discussion: """
            Sessions are aged by the mtime of their session.json (when they were \
            completed). A session holding a .keep file is never removed. Symbolic \
            links are never followed and nothing outside the folders is touched. Each \
            item is first renamed to a hidden trash name, so readers never see half a \
            session.

            Examples:
              scenedrop cleanup --root /srv/scenes --older-than 7d --dry-run
              scenedrop cleanup --root /srv/scenes --older-than 14d \\
                --quarantine-older-than 30d --json
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(
        name: .customLong("older-than"),
        help: "Remove outbox sessions older than this. Without it, sessions are kept."
    )
    var olderThan: DurationArgument?

    @Option(
        name: .customLong("quarantine-older-than"),
        help: "Remove quarantine entries older than this (default: the same as --older-than)."
    )
    var quarantineOlderThan: DurationArgument?

    @Option(name: .customLong("cache-older-than"), help: "Remove image cache entries older than this.")
    var cacheOlderThan: DurationArgument = DurationArgument(.seconds(30 * 86_400), text: "30d")

    @Flag(name: .customLong("dry-run"), help: "List what would be removed; remove nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func run() throws {
        _ = common.makeLogger()
        var configuration = Configuration(layout: common.layout)
        configuration.quarantineRetention = quarantineOlderThan?.duration
        configuration.cacheRetention = cacheOlderThan.duration
        let report = configuration.cleaner(retention: olderThan?.duration).run(now: WallClock.now(), dryRun: dryRun)
        if json {
            try printJSON(report)
        } else {
            let verb = dryRun ? "would remove" : "removed"
            let bytes = report.removed.reduce(Int64(0)) { $0 + $1.bytes }
            printLine(
                "\(verb) \(report.removed.count) item(s), \(bytes) bytes; kept \(report.kept.count); errors \(report.errors.count)"
            )
            for item in report.removed {
                printLine(
                    "  \(verb.padding(12))  \(item.kind.rawValue.padding(10)) \(item.name)  (age \(Int(saturating: item.ageSeconds))s)"
                )
            }
            for item in report.kept where item.reason != "younger than the limit" && item.reason != "no age limit set" {
                printLine("  kept          \(item.kind.rawValue.padding(10)) \(item.name)  (\(item.reason))")
            }
            for item in report.errors {
                printLine("  error         \(item.kind.rawValue.padding(10)) \(item.name)  (\(item.reason))")
            }
        }
        if !report.errors.isEmpty { throw ExitCode.failure }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
