import ArgumentParser
import Foundation
import Outbox
import SceneDropCore

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check manifests without generating anything.",
        discussion: """
            Prints every error with its JSON path, line and column, and every warning. \
            Exit status 1 when any file is invalid.

            Example:
              scenedrop validate inbox/*.json
            """
    )

    @Argument(help: ArgumentHelp("Manifest files to check.", valueName: "file"))
    var files: [String]

    @Flag(name: .long, help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one manifest file") }
    }

    func run() throws {
        let results = files.map(ManifestValidation.check)
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
