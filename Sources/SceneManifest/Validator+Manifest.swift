import LocatedJSON

/// The manifest's top-level fields and its scenes.
extension Validator {
    mutating func manifest(from root: JSONNode, fileName: String) -> Manifest? {
        var top: [String: JSONNode] = [:]
        let scenesNode: JSONNode?
        let scenesPath: String
        switch root.value {
        case .object(let members):
            top = fields(of: members, path: "", known: ManifestDecoder.topLevelFields)
            scenesNode = top["scenes"]
            scenesPath = "scenes"
            if scenesNode == nil {
                fail(
                    "scenes",
                    "is required: a list of scenes, each with scene_number and image_create_prompt",
                    at: root
                )
            }
        case .array:
            scenesNode = root
            scenesPath = ""
        default:
            fail("", "a manifest must be a JSON object (or an array of scenes), not \(root.typeName)", at: root)
            return nil
        }
        let session = session(top["session"], fileName: fileName)
        let quality = quality(top["quality"])
        let aspect = aspectRatio(top["aspect_ratio"])
        let (width, height) = size(width: top["width"], height: top["height"], aspect: aspect)
        let style = top["style"].flatMap { self.style($0, "style") } ?? .cinematic
        let negative = string(top["negative_prompt"], "negative_prompt")
        let model = model(top["model"])
        let priority = priority(top["priority"])
        let references = references(top["references"])
        var scenes: [Manifest.Scene] = []
        if let scenesNode {
            scenes = self.scenes(
                scenesNode,
                path: scenesPath,
                defaultStyle: style,
                defaultNegative: negative,
                references: referenceNames(top["references"]),
                mapGiven: top["references"] != nil
            )
        }
        if errors.isEmpty, let node = top["references"], case .object(let members) = node.value {
            let used = Set(scenes.flatMap(\.references))
            for member in members where !used.contains(member.key) {
                warn(
                    "references.\(member.key)",
                    "is not used by any scene (its file is still checked and recorded in session.json)",
                    offset: member.keyOffset
                )
            }
        }
        guard errors.isEmpty else { return nil }
        return Manifest(
            session: session,
            quality: quality,
            aspectRatio: aspect,
            width: width,
            height: height,
            style: style,
            negativePrompt: negative,
            model: model,
            priority: priority,
            scenes: scenes,
            references: references,
            warnings: listedWarnings
        )
    }

    mutating func session(_ node: JSONNode?, fileName: String) -> String {
        let fromFile = ManifestDecoder.sessionName(fromFileName: fileName)
        guard let node, let text = string(node, "session") else { return fromFile }
        if ManifestDecoder.isValidSessionName(text) { return text }
        fail(
            "session",
            "\"\(JSONString.excerpt(text))\" is not a valid session name: use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit (pattern \(ManifestDecoder.sessionPattern))",
            at: node
        )
        return fromFile
    }

    mutating func quality(_ node: JSONNode?) -> Manifest.Quality {
        guard let node, let text = string(node, "quality") else { return .draft }
        if let quality = Manifest.Quality(rawValue: text.lowercased()) { return quality }
        fail("quality", "must be \"draft\" or \"production\", not \"\(JSONString.excerpt(text))\"", at: node)
        return .draft
    }

    mutating func priority(_ node: JSONNode?) -> Manifest.Priority? {
        guard let node, let text = string(node, "priority") else { return nil }
        if let priority = Manifest.Priority(rawValue: text.lowercased()) { return priority }
        fail(
            "priority",
            "must be \"interactive\" (each image at once) or \"batch\" (Gemini Batch API: half the price, up to 24 h), not \"\(JSONString.excerpt(text))\"",
            at: node
        )
        return nil
    }

    mutating func aspectRatio(_ node: JSONNode?) -> AspectRatio {
        guard let node, let text = string(node, "aspect_ratio") else { return .widescreen }
        if let ratio = AspectRatio(text) { return ratio }
        fail(
            "aspect_ratio",
            "must be one of \(AspectRatio.allowed.map(\.description).joined(separator: " ")), not \"\(JSONString.excerpt(text))\"",
            at: node
        )
        return .widescreen
    }

    /// Width and height: both given must match the aspect ratio within 1%; one given implies the other.
    mutating func size(width widthNode: JSONNode?, height heightNode: JSONNode?, aspect: AspectRatio) -> (Int, Int) {
        let widthValue = integer(widthNode, "width", range: ManifestDecoder.sizeRange)
        let heightValue = integer(heightNode, "height", range: ManifestDecoder.sizeRange)
        switch (widthValue, heightValue) {
        case let (w?, h?):
            if !aspect.matches(width: w, height: h) {
                let suggested = Int((Double(w) / aspect.value).rounded())
                fail(
                    "height",
                    "\(w)x\(h) does not match aspect_ratio \(aspect) within 1%; for width \(w) use height \(suggested), or change aspect_ratio",
                    at: heightNode
                )
            }
            return (w, h)
        case let (w?, nil):
            let height = Int((Double(w) / aspect.value).rounded())
            if !ManifestDecoder.sizeRange.contains(height) {
                fail("width", "gives a height of \(height) at \(aspect), outside 64…8192", at: widthNode)
            }
            return (w, height)
        case let (nil, h?):
            let width = Int((Double(h) * aspect.value).rounded())
            if !ManifestDecoder.sizeRange.contains(width) {
                fail("height", "gives a width of \(width) at \(aspect), outside 64…8192", at: heightNode)
            }
            return (width, h)
        case (nil, nil):
            return aspect.defaultSize
        }
    }

    mutating func model(_ node: JSONNode?) -> String? {
        guard let node, let text = string(node, "model") else { return nil }
        let trimmed = text.trimmingSpaces()
        if trimmed.isEmpty || trimmed.count > 128
            || trimmed.contains(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0))) })
        {
            fail(
                "model",
                "\"\(JSONString.excerpt(text))\" is not a model id (letters, digits, '-', '.', '_'), e.g. gemini-3.1-flash-image",
                at: node
            )
            return nil
        }
        return trimmed
    }

    mutating func scenes(
        _ node: JSONNode,
        path: String,
        defaultStyle: ImageStyle,
        defaultNegative: String?,
        references: [String] = [],
        mapGiven: Bool = false
    ) -> [Manifest.Scene] {
        guard case .array(let elements) = node.value else {
            fail(path, "must be an array of scenes, not \(node.typeName)", at: node)
            return []
        }
        if elements.isEmpty {
            fail(path, "must hold at least one scene", at: node)
            return []
        }
        if elements.count > ManifestDecoder.maximumScenes {
            fail(
                path,
                "holds \(elements.count) scenes; at most \(ManifestDecoder.maximumScenes) are allowed: split the session",
                at: node
            )
            return []
        }
        var scenes: [Manifest.Scene] = []
        var continuations: [Int: (path: String, node: JSONNode)] = [:]
        var seen: [Int: String] = [:]
        for (i, element) in elements.enumerated() {
            let scenePath = "\(path)[\(i)]"
            guard case .object(let members) = element.value else {
                fail(
                    scenePath,
                    "must be an object with scene_number and image_create_prompt, not \(element.typeName)",
                    at: element
                )
                continue
            }
            let fields = fields(of: members, path: scenePath, known: ManifestDecoder.sceneFields)
            var number: Int?
            if let n = fields["scene_number"] {
                if case .null = n.value {
                    fail("\(scenePath).scene_number", "is required (a whole number from 1), not null", at: n)
                }
                number = integer(n, "\(scenePath).scene_number", range: ManifestDecoder.sceneNumberRange)
                if let value = number {
                    if let other = seen[value] {
                        fail(
                            "\(scenePath).scene_number",
                            "\(value) is already used by \(other); scene numbers must be unique",
                            at: n
                        )
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
                        fail(
                            "\(scenePath).image_create_prompt",
                            "has \(text.count) characters; at most \(ManifestDecoder.maximumPromptCharacters) are allowed",
                            at: p
                        )
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
            let named = sceneReferences(
                fields["references"],
                "\(scenePath).references",
                known: references,
                mapGiven: mapGiven
            )
            let continueFrom = integer(
                fields["continue_from"],
                "\(scenePath).continue_from",
                range: ManifestDecoder.sceneNumberRange
            )
            if let number, let prompt {
                if continueFrom != nil, let node = fields["continue_from"] {
                    continuations[scenes.count] = ("\(scenePath).continue_from", node)
                }
                var scene = Manifest.Scene(
                    sceneNumber: number,
                    prompt: prompt,
                    style: sceneStyle,
                    negativePrompt: negative,
                    references: named,
                    continueFrom: continueFrom
                )
                scene.referencesAt = (fields["references"] ?? fields["continue_from"]).map(place(of:))
                scenes.append(scene)
            }
        }
        checkContinuations(scenes, nodes: continuations)
        return scenes
    }
}
