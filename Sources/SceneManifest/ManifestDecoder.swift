import Crypto
import LocatedJSON

/// Decodes and validates manifest bytes. Pure: no I/O, so the same rules serve the daemon,
/// `scenedrop validate` and the tests.
package enum ManifestDecoder {
    /// The contract's size limit; the I/O layer checks it before reading the file.
    package static let maximumBytes = 1 << 20
    package static let maximumScenes = 500
    package static let maximumPromptCharacters = 8000
    package static let sceneNumberRange = 1...2_147_483_647
    package static let sizeRange = 64...8192
    static let sessionPattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"

    static let topLevelFields: Set<String> = [
        "session", "quality", "aspect_ratio", "width", "height", "style", "negative_prompt", "model", "priority",
        "scenes", "references",
    ]
    static let sceneFields: Set<String> = [
        "scene_number", "image_create_prompt", "image_style", "negative_prompt", "references", "continue_from",
    ]

    /// - Parameters:
    ///   - bytes: the file exactly as dropped.
    ///   - fileName: the dropped file's name; its stem is the default session name.
    package static func decode(_ bytes: [UInt8], fileName: String) throws(ManifestError) -> Manifest {
        if bytes.count > maximumBytes {
            throw ManifestError(
                reason: .tooLarge,
                message:
                    "the file is \(bytes.count) bytes; a manifest may be at most 1 MiB (1048576 bytes): split the scenes over several manifests"
            )
        }
        if let bad = firstInvalidUTF8Offset(bytes) {
            let at = SourceLocation.of(offset: bad, in: bytes)
            throw ManifestError(
                reason: .notUTF8,
                message:
                    "byte \(bad) (line \(at.line), column \(at.column)) is not valid UTF-8; save the file as UTF-8",
                line: at.line,
                column: at.column
            )
        }
        var warnings: [ManifestIssue] = []
        if JSONDocument.hasByteOrderMark(bytes) {
            warnings.append(
                ManifestIssue(path: "", message: "the file starts with a UTF-8 byte order mark, which was ignored")
            )
        }
        let root: JSONNode
        do {
            root = try JSONDocument.parse(bytes)
        } catch {
            let at = error.location
            throw ManifestError(
                reason: .invalidJSON,
                message: "line \(at.line), column \(at.column): \(error.message)",
                issues: [ManifestIssue(path: "", message: error.message, line: at.line, column: at.column)],
                line: at.line,
                column: at.column,
                endedEarly: error.endedEarly
            )
        }
        var validator = Validator(bytes: bytes, warnings: warnings)
        guard let manifest = validator.manifest(from: root, fileName: fileName) else {
            let first = validator.errors[0]
            var error = ManifestError(
                reason: .invalidManifest,
                message: first.description
                    + (validator.errorCount > 1 ? " (and \(validator.errorCount - 1) more)" : ""),
                issues: validator.errors,
                line: first.line,
                column: first.column
            )
            error.issueCount = validator.errorCount
            throw error
        }
        return manifest
    }

    /// The default session name: the file's stem with every character outside the session
    /// alphabet turned into `-`, trimmed to a name the pattern accepts.
    ///
    /// A stem that is a valid name already is the name. Any other (a character replaced, a leading one
    /// dropped, a long one cut) could come from several file names (`ep?.json` and `ep*.json`; `café.json` in
    /// NFC and in NFD), which would then replace each other's sessions: such a name ends in `-` and the first
    /// 8 hex digits of the SHA-256 of the whole file name (`printf %s 'ep?.json' | sha256sum`), so each file
    /// name has a session of its own.
    package static func sessionName(fromFileName fileName: String) -> String {
        var stem = Substring(fileName)
        if let dot = stem.lastIndex(of: "."), dot != stem.startIndex { stem = stem[..<dot] }
        if isValidSessionName(String(stem)) { return String(stem) }
        var name = String(stem.map { isSessionCharacter($0) ? $0 : "-" })
        while let first = name.first, !(first.isASCII && (first.isLetter || first.isNumber)) { name.removeFirst() }
        while name.hasSuffix("-") { name.removeLast() }
        if name.isEmpty { name = "session" }
        let tag = SHA256.hash(data: Array(fileName.utf8)).prefix(4).map {
            ($0 < 0x10 ? "0" : "") + String($0, radix: 16)
        }.joined()
        return String(name.prefix(128 - 1 - tag.count)) + "-" + tag
    }

    static func isSessionCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-")
    }

    package static func isValidSessionName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber else { return false }
        return name.count <= 128 && name.allSatisfy(isSessionCharacter)
    }
}
