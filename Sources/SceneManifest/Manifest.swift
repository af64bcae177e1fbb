/// A validated scene manifest with every default applied (contract §2).
public struct Manifest: Sendable {
    public enum Quality: String, Sendable, Codable, CaseIterable {
        case draft, production
    }

    /// How soon the session is wanted: `batch` goes through the Gemini Batch API (half the price, up to
    /// 24 h); `interactive` asks for each image at once.
    public enum Priority: String, Sendable, Codable, CaseIterable {
        case interactive, batch
    }

    public struct Scene: Sendable {
        public var sceneNumber: Int
        public var prompt: String
        public var style: ImageStyle
        public var negativePrompt: String?
    }

    public var session: String
    public var quality: Quality
    public var aspectRatio: AspectRatio
    public var width: Int
    public var height: Int
    public var style: ImageStyle
    public var negativePrompt: String?
    public var model: String?
    /// `nil`: the manifest does not say, and the daemon's `--priority` decides.
    public var priority: Priority?
    public var scenes: [Scene]
    /// Things worth telling the author that do not stop processing (unknown fields, a BOM).
    public var warnings: [ManifestIssue]
}

/// One problem, located by JSON path and, where known, line and column.
public struct ManifestIssue: Sendable, Equatable, Codable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var line: Int?
    public var column: Int?

    public init(path: String, message: String, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String {
        let place = line.map { " (line \($0), column \(column ?? 0))" } ?? ""
        return path.isEmpty ? "\(message)\(place)" : "\(path): \(message)\(place)"
    }
}

/// Why a manifest cannot be processed. `reason` is the contract's machine-readable quarantine reason.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable, Codable {
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
    }

    public var reason: Reason
    /// One line for people: the first problem, located.
    public var message: String
    /// At most the first `Validator.listLimit` of them.
    public var issues: [ManifestIssue]
    /// How many there were in all, listed or not.
    public var issueCount: Int
    public var line: Int?
    public var column: Int?
    /// The text ended inside a value: a writer may still be finishing the file.
    public var endedEarly: Bool

    public init(
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

    public var description: String { message }
}
