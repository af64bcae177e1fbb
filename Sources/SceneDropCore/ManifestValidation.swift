import ImageGeneration
import SceneManifest
import SystemSupport

/// `scenedrop validate`: a manifest file checked exactly as the daemon would decode it.
package enum ManifestValidation {
    package struct Result: Codable, Sendable {
        package var file: String
        package var valid: Bool
        package var reason: String?
        package var message: String?
        package var session: String?
        package var scenes: Int?
        /// The first 1,000 at most; `errorsTotal` counts them all.
        package var errors: [ManifestIssue]
        package var errorsTotal: Int
        package var warnings: [ManifestIssue]

        enum CodingKeys: String, CodingKey {
            case file, valid, reason, message, session, scenes, errors
            case errorsTotal = "errors_total"
            case warnings
        }
    }

    /// - Parameters:
    ///   - catalog: the model table whose chains must be able to take each scene's references.
    ///   - library: the reference library whose files are read and decoded as a session would, from `layout`
    ///     (`--root` or `--references`); nil: not looked at.
    package static func check(_ file: String, catalog: ModelCatalog? = nil, library: Layout? = nil) -> Result {
        let name = FileSystem.baseName(file)
        func failure(_ error: ManifestError) -> Result {
            Result(
                file: file,
                valid: false,
                reason: error.reason.rawValue,
                message: error.message,
                errors: error.issues,
                errorsTotal: error.issueCount,
                warnings: []
            )
        }
        let bytes: [UInt8]
        do {
            // Links are followed here on purpose: validate is run by a person on files they name.
            bytes = try FileSystem.readRegularFile(FileSystem.resolvingLink(file), limit: ManifestDecoder.maximumBytes)
        } catch {
            switch error {
            case .tooLarge(let size):
                return failure(
                    ManifestError(
                        reason: .tooLarge,
                        message: "the file is \(size) bytes; a manifest may be at most 1 MiB (1048576 bytes)"
                    )
                )
            case .notRegular:
                return failure(ManifestError(reason: .unsupportedFile, message: "not a regular file"))
            case .system(let e):
                return failure(ManifestError(reason: .unsupportedFile, message: e.description))
            }
        }
        do {
            let manifest = try ManifestDecoder.decode(bytes, fileName: name)
            if let error = ReferenceCheck.error(manifest, catalog: catalog) { return failure(error) }
            if let library, !manifest.references.isEmpty {
                let issues = SessionReferences.problems(manifest, library: library.referenceLibrary)
                if !issues.isEmpty { return failure(ManifestError(reason: .missingReference, issues: issues)) }
            }
            return Result(
                file: file,
                valid: true,
                session: manifest.session,
                scenes: manifest.scenes.count,
                errors: [],
                errorsTotal: 0,
                warnings: manifest.warnings
            )
        } catch {
            return failure(error)
        }
    }
}
