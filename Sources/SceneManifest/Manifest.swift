/// A validated scene manifest with every default applied (contract §2).
package struct Manifest: Sendable {
    package enum Quality: String, Sendable, Codable, CaseIterable {
        case draft, production
    }

    /// How soon the session is wanted: `batch` goes through the Gemini Batch API (half the price, up to
    /// 24 h); `interactive` asks for each image at once.
    package enum Priority: String, Sendable, Codable, CaseIterable {
        case interactive, batch
    }

    package struct Scene: Sendable {
        package var sceneNumber: Int
        package var prompt: String
        package var style: ImageStyle
        package var negativePrompt: String?
        /// Names from the manifest's `references`, in the order the scene lists them (contract §7).
        package var references: [String] = []
        /// Where the scene's `references` (or `continue_from`) is in the file, for errors found after decoding.
        package var referencesAt: SourcePlace?
        /// The scene whose generated image is one more reference, sent after the named ones; that scene
        /// is generated first.
        package var continueFrom: Int?

        package init(
            sceneNumber: Int,
            prompt: String,
            style: ImageStyle,
            negativePrompt: String?,
            references: [String] = [],
            continueFrom: Int? = nil
        ) {
            self.sceneNumber = sceneNumber
            self.prompt = prompt
            self.style = style
            self.negativePrompt = negativePrompt
            self.references = references
            self.continueFrom = continueFrom
        }
    }

    /// Whether a reference shows a character (whose look is kept across scenes) or an object or place.
    /// The models take at most so many of each (the model table's `referenceLimits`).
    package enum ReferenceKind: String, Sendable, Codable, CaseIterable {
        case character, object
    }

    /// One entry of the manifest's `references` map: a file of the reference library (contract §7).
    package struct Reference: Sendable, Equatable {
        /// The map's key, `^[a-z0-9][a-z0-9_-]{0,63}$`.
        package var name: String
        /// A relative path inside the library, checked to hold no `..`, `.` or empty component.
        package var file: String
        package var kind: ReferenceKind
        package var description: String?
        /// Where its `file` is in the manifest, for errors found when the library is read.
        package var fileAt: SourcePlace?

        package init(name: String, file: String, kind: ReferenceKind = .object, description: String? = nil) {
            self.name = name
            self.file = file
            self.kind = kind
            self.description = description
        }
    }

    package var session: String
    package var quality: Quality
    package var aspectRatio: AspectRatio
    package var width: Int
    package var height: Int
    package var style: ImageStyle
    package var negativePrompt: String?
    package var model: String?
    /// `nil`: the manifest does not say, and the daemon's `--priority` decides.
    package var priority: Priority?
    package var scenes: [Scene]
    /// The manifest's `references`, in the order the manifest lists them.
    package var references: [Reference] = []
    /// Things worth telling the author that do not stop processing (unknown fields, a BOM).
    package var warnings: [ManifestIssue]
}

/// A line and column in the manifest's text (1-based).
package struct SourcePlace: Sendable, Equatable {
    package var line: Int
    package var column: Int

    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// One problem, located by JSON path and, where known, line and column.
package struct ManifestIssue: Sendable, Equatable, Codable, CustomStringConvertible {
    package var path: String
    package var message: String
    package var line: Int?
    package var column: Int?

    /// At `place`, when known.
    package init(path: String, message: String, at place: SourcePlace?) {
        self.init(path: path, message: message, line: place?.line, column: place?.column)
    }

    package init(path: String, message: String, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
        self.column = column
    }

    package var description: String {
        let place = line.map { " (line \($0), column \(column ?? 0))" } ?? ""
        return path.isEmpty ? "\(message)\(place)" : "\(path): \(message)\(place)"
    }
}

/// Why a manifest cannot be processed. `reason` is the contract's machine-readable quarantine reason.
package struct ManifestError: Error, Sendable, CustomStringConvertible {
    package enum Reason: String, Sendable, Codable {
        case invalidJSON = "invalid_json"
        case invalidManifest = "invalid_manifest"
        case tooLarge = "too_large"
        case notUTF8 = "not_utf8"
        case unsupportedFile = "unsupported_file"
        /// `--strict`: a scene could not come from a real provider.
        case fallbackUsed = "fallback_used"
        /// The session could not be made even from placeholders (the renderer failed every try): a
        /// manifest that would fail the same way each time, so it is not handed back to loop forever.
        case processingFailed = "processing_failed"
        /// Something that is not a session folder (a file, a symbolic link) stands where the session would be
        /// published: it is never followed or removed, and retrying cannot help until a person moves it.
        case outboxConflict = "outbox_conflict"
        /// A reference file of the manifest is missing from the library, or cannot be used (a symbolic link on
        /// its way, not a regular file, too large, not an image): nothing was sent to any API (contract §7).
        case missingReference = "missing_reference"
    }

    package var reason: Reason
    /// One line for people: the first problem, located.
    package var message: String
    /// At most the first `Validator.listLimit` of them.
    package var issues: [ManifestIssue]
    /// How many there were in all, listed or not.
    package var issueCount: Int
    package var line: Int?
    package var column: Int?
    /// The text ended inside a value: a writer may still be finishing the file.
    package var endedEarly: Bool

    package init(
        reason: Reason,
        message: String,
        issues: [ManifestIssue] = [],
        line: Int? = nil,
        column: Int? = nil,
        endedEarly: Bool = false
    ) {
        self.reason = reason
        self.message = message
        self.issues = issues
        issueCount = issues.count
        self.line = line
        self.column = column
        self.endedEarly = endedEarly
    }

    package var description: String { message }

    /// For problems found after decoding (the library, the model chains): the first one, located, says it for
    /// all (with how many more there are); `issues` must not be empty.
    package init(reason: Reason, issues: [ManifestIssue]) {
        let first = issues[0]
        self.init(
            reason: reason,
            message: first.description + (issues.count > 1 ? " (and \(issues.count - 1) more)" : ""),
            issues: issues,
            line: first.line,
            column: first.column
        )
    }
}
