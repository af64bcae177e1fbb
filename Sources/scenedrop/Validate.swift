import ArgumentParser
import Foundation
import Outbox
import SceneDropCore

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check manifests without generating anything.",
        usage: "scenedrop validate [--root <dir>] [--json] [<options>] <file> ...",
        discussion: """
            Prints every error with its JSON path, line and column, and every warning. \
            Exit status 1 when any file is invalid. Each scene's references are checked against the model \
            chains; with --root or --references (or SCENEDROP_ROOT, SCENEDROP_REFERENCES) every reference file \
            is also read from the library and decoded, as a session would.

            Example:
              scenedrop validate inbox/*.json
              scenedrop validate --root /srv/scenes /srv/scenes/inbox/ep43.json
            """
    )

    @Argument(help: ArgumentHelp("Manifest files to check.", valueName: "file"))
    var files: [String]

    @Flag(name: .long, help: "Print the results as JSON.")
    var json = false

    @Option(
        name: .long,
        help: ArgumentHelp("The root folder, whose references/ holds the reference library.", valueName: "dir")
    )
    var root: String?

    @Option(
        name: .long,
        help: ArgumentHelp("The reference library, instead of <root>/references.", valueName: "dir")
    )
    var references: String?

    @OptionGroup var models: ModelOptions

    /// The folders whose reference library is read, when a root or a library is named.
    var library: Layout? {
        let named = references ?? environment("SCENEDROP_REFERENCES")
        // With a library named and no root, the root's other folders are not looked at.
        guard let root = root ?? environment("SCENEDROP_ROOT") ?? (named == nil ? nil : ".") else { return nil }
        return Layout(root: root, references: named)
    }

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one manifest file") }
    }

    func run() throws {
        let (catalog, library) = (try models.catalog(), library)
        let results = files.map { ManifestValidation.check($0, catalog: catalog, library: library) }
        if json {
            try printJSON(results)
        } else {
            for result in results {
                if result.valid {
                    printLine(
                        "ok       \(result.file): session \(result.session ?? "?"), \(result.scenes ?? 0) scene(s)"
                    )
                } else {
                    printLine("invalid  \(result.file): \(result.reason ?? "") — \(result.message ?? "")")
                    for issue in result.errors { printLine("  error    \(issue)") }
                    if result.errorsTotal > result.errors.count {
                        printLine(
                            "  …        \(result.errorsTotal - result.errors.count) more errors not listed (\(result.errorsTotal) in all)"
                        )
                    }
                }
                for issue in result.warnings { printLine("  warning  \(issue)") }
            }
        }
        if results.contains(where: { !$0.valid }) { throw ExitCode.failure }
    }
}
