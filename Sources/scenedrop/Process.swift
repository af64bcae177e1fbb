import ArgumentParser
import Foundation
import LocatedJSON
import Outbox
import SceneDropCore

struct Process: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Process what is in the inbox now, then exit (for cron and batch jobs).",
        usage: "scenedrop process --root <dir> [--json] [<options>]",
        discussion: """
            Takes the manifests present at the start (each must stay unchanged for \
            --settle first), processes them exactly as the daemon would, and prints a \
            summary. Safe beside running daemons on the same root.

            Exit status 1 when anything was quarantined, handed back, left waiting or \
            could not be claimed (an inbox that is not writable, say), so cron reports it.
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var generation: GenerationOptions

    @Flag(name: .long, help: "Print the summary as JSON.")
    var json = false

    func run() async throws {
        let logger = common.makeLogger()
        var configuration = Configuration(layout: common.layout)
        generation.apply(to: &configuration)
        let daemon = Daemon(configuration: configuration, generation: try generation.settings(), logger: logger)
        let summary: BatchSummary
        do {
            summary = try await daemon.process()
        } catch let error as StartupError {
            printError("scenedrop process: \(error)")
            throw ExitCode(64)
        } catch {
            printError("scenedrop process: \(error)")
            throw ExitCode.failure
        }
        if json {
            try printJSON(summary)
        } else {
            var counts =
                "published \(summary.published.count), quarantined \(summary.quarantined.count), handed back \(summary.handedBack.count), waiting \(summary.skipped.count)"
            if !summary.unclaimed.isEmpty { counts += ", not claimed \(summary.unclaimed.count)" }
            printLine("\(counts) (\(summary.durationMS) ms)")
            for entry in summary.published { printLine("  published    \(entry.file): \(entry.detail)") }
            for entry in summary.quarantined { printLine("  quarantined  \(entry.file): \(entry.detail)") }
            for entry in summary.handedBack { printLine("  handed back  \(entry.file): \(entry.detail)") }
            for entry in summary.skipped { printLine("  waiting      \(entry.file): \(entry.detail)") }
            for entry in summary.superseded { printLine("  superseded   \(entry.file): \(entry.detail)") }
            for entry in summary.unclaimed { printLine("  not claimed  \(entry.file): \(entry.detail)") }
        }
        for entry in summary.unclaimed { printError("scenedrop process: \(entry.file) \(entry.detail)") }
        if !summary.isClean { throw ExitCode.failure }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((JSONString.visible(text) + "\n").utf8))
}

/// One line of human-facing output on stdout. What a manifest, a file name or a server put in it is shown with
/// its control characters escaped: a name holding ESC or a newline cannot drive the terminal or spoof a line.
func printLine(_ text: String = "") {
    print(JSONString.visible(text))
}

/// Prints a value as JSON on stdout, in the same layout as the metadata files.
func printJSON(_ value: some Encodable) throws {
    print(String(decoding: try MetadataCoding.encode(value), as: UTF8.self), terminator: "")
}
