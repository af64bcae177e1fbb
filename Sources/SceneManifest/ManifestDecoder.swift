import LocatedJSON

/// Decodes and validates manifest bytes. Pure: no I/O, so the same rules serve the daemon,
/// `scenedrop validate` and the tests.
public enum ManifestDecoder {
    /// The contract's size limit; the I/O layer checks it before reading the file.
    public static let maximumBytes = 1 << 20
    public static let maximumScenes = 500
    public static let maximumPromptCharacters = 8000
    public static let sceneNumberRange = 1...2_147_483_647
    public static let sizeRange = 64...8192
    static let sessionPattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"

    static let topLevelFields: Set<String> = [
        "session", "quality", "aspect_ratio", "width", "height", "style", "negative_prompt", "model", "scenes",
    ]
    static let sceneFields: Set<String> = ["scene_number", "image_create_prompt", "image_style", "negative_prompt"]

    /// - Parameters:
    ///   - bytes: the file exactly as dropped.
    ///   - fileName: the dropped file's name; its stem is the default session name.
    public static func decode(_ bytes: [UInt8], fileName: String) throws(ManifestError) -> Manifest {
        if bytes.count > maximumBytes {
            throw ManifestError(reason: .tooLarge, message: "the file is \(bytes.count) bytes; a manifest may be at most 1 MiB (1048576 bytes): split the scenes over several manifests")
        }
        if let bad = firstInvalidUTF8Offset(bytes) {
            let at = SourceLocation.of(offset: bad, in: bytes)
            throw ManifestError(
                reason: .notUTF8,
                message: "byte \(bad) (line \(at.line), column \(at.column)) is not valid UTF-8; save the file as UTF-8",
                line: at.line, column: at.column)
        }
        var warnings: [ManifestIssue] = []
        if JSONDocument.hasByteOrderMark(bytes) {
            warnings.append(ManifestIssue(path: "", message: "the file starts with a UTF-8 byte order mark, which was ignored"))
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
                line: at.line, column: at.column, endedEarly: error.endedEarly)
        }
        var validator = Validator(bytes: bytes, warnings: warnings)
        guard let manifest = validator.manifest(from: root, fileName: fileName) else {
            let first = validator.errors[0]
            throw ManifestError(
                reason: .invalidManifest,
                message: first.description + (validator.errors.count > 1 ? " (and \(validator.errors.count - 1) more)" : ""),
                issues: validator.errors, line: first.line, column: first.column)
        }
        return manifest
    }

    /// The default session name: the file's stem with every character outside the session
    /// alphabet turned into `-`, trimmed to a name the pattern accepts.
    public static func sessionName(fromFileName fileName: String) -> String {
        var stem = Substring(fileName)
        if let dot = stem.lastIndex(of: "."), dot != stem.startIndex { stem = stem[..<dot] }
        var name = String(stem.map { isSessionCharacter($0) ? $0 : "-" })
        while let first = name.first, !(first.isASCII && (first.isLetter || first.isNumber)) { name.removeFirst() }
        if name.isEmpty { name = "session" }
        return String(name.prefix(128))
    }

    static func isSessionCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-")
    }

    public static func isValidSessionName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber else { return false }
        return name.count <= 128 && name.allSatisfy(isSessionCharacter)
    }
}

/// Walks the parsed tree, collecting every error with its path rather than stopping at the first.
struct Validator {
    let locator: SourceLocator
    var warnings: [ManifestIssue]
    var errors: [ManifestIssue] = []

    init(bytes: [UInt8], warnings: [ManifestIssue]) {
        locator = SourceLocator(bytes)
        self.warnings = warnings
    }

    mutating func fail(_ path: String, _ message: String, at node: JSONNode?) {
        let at = node.map { locator.location(of: $0.offset) }
        errors.append(ManifestIssue(path: path, message: message, line: at?.line, column: at?.column))
    }

    mutating func warn(_ path: String, _ message: String, offset: Int) {
        let at = locator.location(of: offset)
        warnings.append(ManifestIssue(path: path, message: message, line: at.line, column: at.column))
    }

    /// The members of an object by key, reporting duplicates and unknown keys.
    mutating func fields(of members: [JSONNode.Member], path: String, known: Set<String>) -> [String: JSONNode] {
        var result: [String: JSONNode] = [:]
        var firstOffset: [String: Int] = [:]
        for member in members {
            let memberPath = path.isEmpty ? member.key : "\(path).\(member.key)"
            if let earlier = firstOffset[member.key] {
                let at = locator.location(of: earlier)
                let here = locator.location(of: member.keyOffset)
                errors.append(ManifestIssue(
                    path: memberPath,
                    message: "appears twice (first at line \(at.line), column \(at.column)); keep one",
                    line: here.line, column: here.column))
                continue
            }
            firstOffset[member.key] = member.keyOffset
            if !known.contains(member.key) {
                var message = "unknown field, kept in manifest.json but not used"
                if let near = Self.nearest(to: member.key, in: known) {
                    message += "; did you mean \"\(near)\"?"
                }
                warn(memberPath, message, offset: member.keyOffset)
            }
            result[member.key] = member.value
        }
        return result
    }

    /// The known name within two edits of `key`, if any (names sorted, so the answer is stable). Only
    /// names within two characters' length can be that close, so a long key costs nothing, and each
    /// distance is computed once.
    static func nearest(to key: String, in known: Set<String>) -> String? {
        let length = key.count
        var best: (name: String, distance: Int)?
        for name in known.sorted() where abs(name.count - length) <= 2 {
            let distance = editDistance(name, key)
            if distance <= 2, distance < best?.distance ?? .max { best = (name, distance) }
        }
        return best?.name
    }

    mutating func string(_ node: JSONNode?, _ path: String) -> String? {
        guard let node else { return nil }
        if case .string(let text) = node.value { return text }
        if case .null = node.value { return nil }
        fail(path, "must be a string, not \(node.typeName)", at: node)
        return nil
    }

    /// An integer in `range`; fractions, exponents past the range and non-numbers are errors.
    mutating func integer(_ node: JSONNode?, _ path: String, range: ClosedRange<Int>) -> Int? {
        guard let node else { return nil }
        guard case .number(let text) = node.value else {
            if case .null = node.value { return nil }
            var message = "must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(node.typeName)"
            if case .string(let s) = node.value, Int(s) != nil { message += " (remove the quotes: \(s))" }
            fail(path, message, at: node)
            return nil
        }
        guard let value = Double(text), value.isFinite, value == value.rounded(), let int = Int(exactly: value) ?? nil as Int?,
              range.contains(int)
        else {
            fail(path, "must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(text)", at: node)
            return nil
        }
        return int
    }

    mutating func style(_ node: JSONNode?, _ path: String) -> ImageStyle? {
        guard let text = string(node, path) else { return nil }
        if let style = ImageStyle(lenient: text) { return style }
        var message = "unknown image style \"\(text)\""
        if let near = ImageStyle.suggestion(for: text) { message += "; did you mean \"\(near.rawValue)\"?" }
        message += " Styles: " + ImageStyle.allCases.map(\.rawValue).joined(separator: ", ")
        fail(path, message, at: node)
        return nil
    }

    mutating func manifest(from root: JSONNode, fileName: String) -> Manifest? {
        var top: [String: JSONNode] = [:]
        let scenesNode: JSONNode?
        let scenesPath: String
        switch root.value {
        case .object(let members):
            top = fields(of: members, path: "", known: ManifestDecoder.topLevelFields)
            scenesNode = top["scenes"]
            scenesPath = "scenes"
            if scenesNode == nil { fail("scenes", "is required: a list of scenes, each with scene_number and image_create_prompt", at: root) }
        case .array:
            scenesNode = root
            scenesPath = ""
        default:
            fail("", "a manifest must be a JSON object (or an array of scenes), not \(root.typeName)", at: root)
            return nil
        }

        var session = ManifestDecoder.sessionName(fromFileName: fileName)
        if let node = top["session"], let text = string(node, "session") {
            if ManifestDecoder.isValidSessionName(text) {
                session = text
            } else {
                fail("session", "\"\(JSONString.excerpt(text))\" is not a valid session name: use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit (pattern \(ManifestDecoder.sessionPattern))", at: node)
            }
        }

        var quality = Manifest.Quality.draft
        if let node = top["quality"], let text = string(node, "quality") {
            if let q = Manifest.Quality(rawValue: text.lowercased()) { quality = q } else {
                fail("quality", "must be \"draft\" or \"production\", not \"\(JSONString.excerpt(text))\"", at: node)
            }
        }

        var aspect = AspectRatio.widescreen
        if let node = top["aspect_ratio"], let text = string(node, "aspect_ratio") {
            if let ratio = AspectRatio(text) { aspect = ratio } else {
                fail("aspect_ratio", "must be one of \(AspectRatio.allowed.map(\.description).joined(separator: " ")), not \"\(JSONString.excerpt(text))\"", at: node)
            }
        }

        let widthValue = integer(top["width"], "width", range: ManifestDecoder.sizeRange)
        let heightValue = integer(top["height"], "height", range: ManifestDecoder.sizeRange)
        var (width, height) = aspect.defaultSize
        switch (widthValue, heightValue) {
        case let (w?, h?):
            (width, height) = (w, h)
            if !aspect.matches(width: w, height: h) {
                let suggested = Int((Double(w) / aspect.value).rounded())
                fail("height", "\(w)x\(h) does not match aspect_ratio \(aspect) within 1%; for width \(w) use height \(suggested), or change aspect_ratio", at: top["height"])
            }
        case let (w?, nil):
            width = w
            height = Int((Double(w) / aspect.value).rounded())
            if !ManifestDecoder.sizeRange.contains(height) { fail("width", "gives a height of \(height) at \(aspect), outside 64…8192", at: top["width"]) }
        case let (nil, h?):
            height = h
            width = Int((Double(h) * aspect.value).rounded())
            if !ManifestDecoder.sizeRange.contains(width) { fail("height", "gives a width of \(width) at \(aspect), outside 64…8192", at: top["height"]) }
        case (nil, nil):
            break
        }

        let style = top["style"].flatMap { self.style($0, "style") } ?? .cinematic
        let negative = string(top["negative_prompt"], "negative_prompt")
        var model: String?
        if let node = top["model"], let text = string(node, "model") {
            let trimmed = text.trimmingSpaces()
            if trimmed.isEmpty || trimmed.count > 128 || trimmed.contains(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0))) }) {
                fail("model", "\"\(JSONString.excerpt(text))\" is not a model id (letters, digits, '-', '.', '_'), e.g. gemini-3.1-flash-image", at: node)
            } else {
                model = trimmed
            }
        }

        var scenes: [Manifest.Scene] = []
        if let scenesNode {
            scenes = self.scenes(scenesNode, path: scenesPath, defaultStyle: style, defaultNegative: negative)
        }
        guard errors.isEmpty else { return nil }
        return Manifest(
            session: session, quality: quality, aspectRatio: aspect, width: width, height: height,
            style: style, negativePrompt: negative, model: model, scenes: scenes, warnings: warnings)
    }

    mutating func scenes(_ node: JSONNode, path: String, defaultStyle: ImageStyle, defaultNegative: String?) -> [Manifest.Scene] {
        guard case .array(let elements) = node.value else {
            fail(path, "must be an array of scenes, not \(node.typeName)", at: node)
            return []
        }
        if elements.isEmpty {
            fail(path, "must hold at least one scene", at: node)
            return []
        }
        if elements.count > ManifestDecoder.maximumScenes {
            fail(path, "holds \(elements.count) scenes; at most \(ManifestDecoder.maximumScenes) are allowed: split the session", at: node)
            return []
        }
        var scenes: [Manifest.Scene] = []
        var seen: [Int: String] = [:]
        for (i, element) in elements.enumerated() {
            let scenePath = "\(path)[\(i)]"
            guard case .object(let members) = element.value else {
                fail(scenePath, "must be an object with scene_number and image_create_prompt, not \(element.typeName)", at: element)
                continue
            }
            let fields = fields(of: members, path: scenePath, known: ManifestDecoder.sceneFields)
            var number: Int?
            if let n = fields["scene_number"] {
                if case .null = n.value { fail("\(scenePath).scene_number", "is required (a whole number from 1), not null", at: n) }
                number = integer(n, "\(scenePath).scene_number", range: ManifestDecoder.sceneNumberRange)
                if let value = number {
                    if let other = seen[value] {
                        fail("\(scenePath).scene_number", "\(value) is already used by \(other); scene numbers must be unique", at: n)
                    } else {
                        seen[value] = "\(scenePath).scene_number"
                    }
                }
            } else {
                fail("\(scenePath).scene_number", "is required (a whole number from 1)", at: element)
            }
            var prompt: String?
            if let p = fields["image_create_prompt"] {
                if let text = string(p, "\(scenePath).image_create_prompt") {
                    if text.trimmingSpaces().isEmpty {
                        fail("\(scenePath).image_create_prompt", "is blank; describe the image to create", at: p)
                    } else if text.count > ManifestDecoder.maximumPromptCharacters {
                        fail("\(scenePath).image_create_prompt", "has \(text.count) characters; at most \(ManifestDecoder.maximumPromptCharacters) are allowed", at: p)
                    } else {
                        prompt = text
                    }
                } else if case .null = p.value {
                    fail("\(scenePath).image_create_prompt", "is required", at: p)
                }
            } else {
                fail("\(scenePath).image_create_prompt", "is required", at: element)
            }
            let sceneStyle = fields["image_style"].flatMap { style($0, "\(scenePath).image_style") } ?? defaultStyle
            let negative = string(fields["negative_prompt"], "\(scenePath).negative_prompt") ?? defaultNegative
            if let number, let prompt {
                scenes.append(Manifest.Scene(sceneNumber: number, prompt: prompt, style: sceneStyle, negativePrompt: negative))
            }
        }
        return scenes
    }
}
