import ArgumentParser
import Outbox
import Foundation
import SceneManifest
import SystemSupport

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

    struct Result: Codable {
        var file: String
        var valid: Bool
        var reason: String?
        var message: String?
        var session: String?
        var scenes: Int?
        var errors: [ManifestIssue]
        var warnings: [ManifestIssue]
    }

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one manifest file") }
    }

    func run() throws {
        var results: [Result] = []
        for file in files {
            results.append(check(file))
        }
        if json {
            try printJSON(results)
        } else {
            for result in results {
                if result.valid {
                    print("ok       \(result.file): session \(result.session ?? "?"), \(result.scenes ?? 0) scene(s)")
                } else {
                    print("invalid  \(result.file): \(result.reason ?? "") — \(result.message ?? "")")
                    for issue in result.errors { print("  error    \(issue)") }
                }
                for issue in result.warnings { print("  warning  \(issue)") }
            }
        }
        if results.contains(where: { !$0.valid }) { throw ExitCode.failure }
    }

    func check(_ file: String) -> Result {
        let name = FileSystem.baseName(file)
        func failure(_ error: ManifestError) -> Result {
            Result(file: file, valid: false, reason: error.reason.rawValue, message: error.message, errors: error.issues, warnings: [])
        }
        let bytes: [UInt8]
        do {
            // Links are followed here on purpose: validate is run by a person on files they name.
            bytes = try FileSystem.readRegularFile(FileSystem.resolvingLink(file), limit: ManifestDecoder.maximumBytes)
        } catch {
            switch error {
            case .tooLarge(let size):
                return failure(ManifestError(reason: .tooLarge, message: "the file is \(size) bytes; a manifest may be at most 1 MiB (1048576 bytes)"))
            case .notRegular:
                return failure(ManifestError(reason: .unsupportedFile, message: "not a regular file"))
            case .system(let e):
                return failure(ManifestError(reason: .unsupportedFile, message: e.description))
            }
        }
        do {
            let manifest = try ManifestDecoder.decode(bytes, fileName: name)
            return Result(file: file, valid: true, session: manifest.session, scenes: manifest.scenes.count, errors: [], warnings: manifest.warnings)
        } catch {
            return failure(error)
        }
    }
}
