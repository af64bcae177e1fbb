import LocatedJSON

/// The manifest's `references` map and each scene's `references` and `continue_from` (contract §7). What
/// the library holds is not looked at here (this module does no I/O): a file that turns out missing or
/// unusable when the session runs is `missing_reference`.
extension Validator {
    static let referenceNamePattern = "^[a-z0-9][a-z0-9_-]{0,63}$"
    static let referenceFields: Set<String> = ["file", "kind", "description"]
    static let maximumReferencePathBytes = 1024
    static let maximumDescriptionCharacters = 1000

    static func isValidReferenceName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 64, isLowerAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Every name the map gives, valid or not, in the manifest's order: a scene naming one whose entry is wrong
    /// is not told the name is unknown as well.
    func referenceNames(_ node: JSONNode?) -> [String] {
        guard let node, case .object(let members) = node.value else { return [] }
        var seen: Set<String> = []
        return members.map(\.key).filter { seen.insert($0).inserted }
    }

    /// The `references` map, in the manifest's order.
    mutating func references(_ node: JSONNode?) -> [Manifest.Reference] {
        guard let node else { return [] }
        guard case .object(let members) = node.value else {
            if case .null = node.value { return [] }
            fail(
                "references",
                "must be an object from a name to {\"file\": …, \"kind\": …, \"description\": …}, not \(node.typeName)",
                at: node
            )
            return []
        }
        var result: [Manifest.Reference] = []
        let known = Set(members.map(\.key))
        for (name, value) in fields(of: members, path: "references", known: known).sorted(by: {
            $0.value.offset < $1.value.offset
        }) {
            let path = "references.\(name)"
            if !Self.isValidReferenceName(name) {
                fail(
                    path,
                    "\"\(JSONString.excerpt(name))\" is not a valid reference name: use 1 to 64 lower-case letters, digits, '_' or '-', starting with a letter or digit (pattern \(Self.referenceNamePattern))",
                    at: value
                )
                continue
            }
            guard case .object(let entryMembers) = value.value else {
                fail(
                    path,
                    "must be an object with \"file\" (a path inside the reference library), not \(value.typeName)",
                    at: value
                )
                continue
            }
            let entry = fields(of: entryMembers, path: path, known: Self.referenceFields)
            guard let fileNode = entry["file"] else {
                fail("\(path).file", "is required: the image's path inside the reference library", at: value)
                continue
            }
            let file = string(fileNode, "\(path).file").flatMap { referencePath($0, "\(path).file", at: fileNode) }
            var kind = Manifest.ReferenceKind.object
            if let kindNode = entry["kind"], let text = string(kindNode, "\(path).kind") {
                if let parsed = Manifest.ReferenceKind(rawValue: text.lowercased()) {
                    kind = parsed
                } else {
                    fail(
                        "\(path).kind",
                        "must be \"character\" or \"object\", not \"\(JSONString.excerpt(text))\"",
                        at: kindNode
                    )
                }
            }
            var description: String?
            if let descriptionNode = entry["description"], let text = string(descriptionNode, "\(path).description") {
                if text.count > Self.maximumDescriptionCharacters {
                    fail(
                        "\(path).description",
                        "has \(text.count) characters; at most \(Self.maximumDescriptionCharacters) are allowed",
                        at: descriptionNode
                    )
                } else if !text.trimmingSpaces().isEmpty {
                    description = text.trimmingSpaces()
                }
            }
            if let file {
                var reference = Manifest.Reference(name: name, file: file, kind: kind, description: description)
                reference.fileAt = place(of: fileNode)
                result.append(reference)
            }
        }
        return result
    }

    func place(of node: JSONNode) -> SourcePlace {
        let at = locator.location(of: node.offset)
        return SourcePlace(line: at.line, column: at.column)
    }

    /// A path inside the library: relative, `/` between folders, no `.`, `..` or empty component.
    mutating func referencePath(_ text: String, _ path: String, at node: JSONNode) -> String? {
        let shown = "\"\(JSONString.excerpt(text))\""
        let problem: String?
        let components = text.split(separator: "/", omittingEmptySubsequences: false)
        if text.isEmpty {
            problem = "is empty: give the image's path inside the reference library, such as characters/mika.png"
        } else if text.utf8.count > Self.maximumReferencePathBytes {
            problem = "is \(text.utf8.count) bytes long; at most \(Self.maximumReferencePathBytes) are allowed"
        } else if text.hasPrefix("/") {
            problem =
                "\(shown) is an absolute path; a reference is a path inside the reference library (<root>/references/ or --references), such as characters/mika.png"
        } else if components.contains("..") {
            problem =
                "\(shown) leaves the reference library through \"..\"; a reference must be a path inside the library"
        } else if text.contains("\u{0}") {
            problem = "holds a NUL character"
        } else if text.contains("\\") {
            problem = "\(shown) holds a backslash; separate folders with '/'"
        } else if components.contains("") || components.contains(".") {
            problem = "\(shown) has an empty or \".\" component; write the path plainly, such as characters/mika.png"
        } else {
            problem = nil
        }
        if let problem {
            fail(path, problem, at: node)
            return nil
        }
        return text
    }

    /// A scene's `references`: names of the map, each once, in order.
    mutating func sceneReferences(
        _ node: JSONNode?,
        _ path: String,
        known names: [String],
        mapGiven: Bool
    ) -> [String] {
        guard let node else { return [] }
        guard case .array(let elements) = node.value else {
            if case .null = node.value { return [] }
            fail(path, "must be an array of reference names, not \(node.typeName)", at: node)
            return []
        }
        let known = Set(names)
        var result: [String] = []
        for (i, element) in elements.enumerated() {
            let elementPath = "\(path)[\(i)]"
            guard case .string(let name) = element.value else {
                fail(elementPath, "must be a reference name (a string), not \(element.typeName)", at: element)
                continue
            }
            guard known.contains(name) else {
                var message = "unknown reference \"\(JSONString.excerpt(name))\""
                if !mapGiven {
                    message +=
                        "; the manifest has no \"references\" map: add one, such as \"references\": {\"\(JSONString.excerpt(name))\": {\"file\": \"characters/\(JSONString.excerpt(name)).png\"}}"
                } else {
                    if let near = Self.nearest(to: name, in: known) { message += "; did you mean \"\(near)\"?" }
                    message += " The manifest's references are: " + names.joined(separator: ", ")
                }
                fail(elementPath, message, at: element)
                continue
            }
            if result.contains(name) {
                fail(elementPath, "\"\(name)\" is listed twice; list each reference once", at: element)
                continue
            }
            result.append(name)
        }
        return result
    }

    /// `continue_from` of every scene: another scene of the manifest, and no cycle. `nodes` by scene index.
    mutating func checkContinuations(_ scenes: [Manifest.Scene], nodes: [Int: (path: String, node: JSONNode)]) {
        let numbers = Set(scenes.map(\.sceneNumber))
        var from: [Int: Int] = [:]
        for (index, scene) in scenes.enumerated() {
            guard let target = scene.continueFrom, let (path, node) = nodes[index] else { continue }
            if target == scene.sceneNumber {
                fail(
                    path,
                    "scene \(target) cannot continue from itself: name an earlier scene, or remove continue_from",
                    at: node
                )
            } else if !numbers.contains(target) {
                fail(
                    path,
                    "no scene has scene_number \(target); continue_from names another scene of this manifest (its scene_number)",
                    at: node
                )
            } else {
                from[scene.sceneNumber] = target
            }
        }
        // Each scene continues from at most one: following the links from any scene either ends or comes
        // back to a scene seen on the way. Each cycle is reported once, at its first scene in the manifest.
        var reported: Set<Int> = []
        for (index, scene) in scenes.enumerated() where from[scene.sceneNumber] != nil {
            var path = [scene.sceneNumber]
            var current = scene.sceneNumber
            while let next = from[current], path.count <= scenes.count {
                if next == scene.sceneNumber {
                    if reported.isDisjoint(with: path), let (at, node) = nodes[index] {
                        reported.formUnion(path)
                        let links = zip(path, path.dropFirst() + [next]).enumerated().map { i, link in
                            i == 0 ? "scene \(link.0) continues from \(link.1)" : "\(link.0) from \(link.1)"
                        }
                        fail(
                            at,
                            "continue_from makes a cycle: " + links.joined(separator: ", ")
                                + "; each scene waits for the one it continues from, so one of them must start from its prompt alone",
                            at: node
                        )
                    }
                    break
                }
                if path.contains(next) { break }
                path.append(next)
                current = next
            }
        }
    }
}
