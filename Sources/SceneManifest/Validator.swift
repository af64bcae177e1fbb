import LocatedJSON

/// Walks the parsed tree, collecting every error with its path rather than stopping at the first.
struct Validator {
    let locator: SourceLocator
    var warnings: [ManifestIssue]
    var errors: [ManifestIssue] = []
    /// Every error and warning found, listed or not.
    var errorCount = 0
    var warningCount = 0

    /// At most this many errors and warnings are listed: a 1 MiB manifest of 175,000 duplicate keys would
    /// otherwise make a report of 25 MB. The counts say how many there were in all.
    static let listLimit = 1000

    mutating func record(error issue: ManifestIssue) {
        errorCount += 1
        if errors.count < Self.listLimit { errors.append(issue) }
    }

    mutating func record(warning issue: ManifestIssue) {
        warningCount += 1
        if warnings.count < Self.listLimit { warnings.append(issue) }
    }

    /// The warnings as listed, with a last one that says how many more there were.
    var listedWarnings: [ManifestIssue] {
        let unlisted = warningCount - warnings.count
        guard unlisted > 0 else { return warnings }
        return warnings + [
            ManifestIssue(path: "", message: "\(unlisted) more warnings not listed (\(warningCount) in all)")
        ]
    }

    init(bytes: [UInt8], warnings: [ManifestIssue]) {
        locator = SourceLocator(bytes)
        self.warnings = warnings
        warningCount = warnings.count
    }

    mutating func fail(_ path: String, _ message: String, at node: JSONNode?) {
        let at = node.map { locator.location(of: $0.offset) }
        record(error: ManifestIssue(path: path, message: message, line: at?.line, column: at?.column))
    }

    mutating func warn(_ path: String, _ message: String, offset: Int) {
        let at = locator.location(of: offset)
        record(warning: ManifestIssue(path: path, message: message, line: at.line, column: at.column))
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
                record(
                    error: ManifestIssue(
                        path: memberPath,
                        message: "appears twice (first at line \(at.line), column \(at.column)); keep one",
                        line: here.line,
                        column: here.column
                    )
                )
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
        guard let value = Double(text), value.isFinite, value == value.rounded(),
            let int = Int(exactly: value) ?? nil as Int?,
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
}
