import LocatedJSON

/// Reads a model table file (`--models-file`): changes laid over the built-in table, so a new price or
/// a new model needs no new release (docs/gemini-image-api.md §0: models and prices change often).
///
///     { "models": { "<id>": { "aspect_ratios": ["16:9", …], "image_sizes": ["1K", "2K"],
///                             "outputs": { "1K": { "16:9": "1376x768" } },
///                             "price_per_image": { "1K": 0.067 },
///                             "batch_price_per_image": { "1K": 0.0335 },
///                             "price_per_million_tokens": { "image_output": 30, "text_output": 7.5, "input": 1.5 },
///                             "max_reference_images": { "total": 14, "characters": 4, "objects": 10 },
///                             "timeout_seconds": { "1K": 60, "4K": 180 }, "deprecated": "2026-10-06" } },
///       "chains": { "draft": ["<id>", …], "production": ["<id>", …] } }
///
/// A model already in the table keeps every field the file leaves out; `outputs` and `price_per_image`
/// merge key by key; lists replace. A model without size control has `"image_sizes": []` and uses the
/// size key `""`. A size without a batch price costs half its price in batch mode (the Batch API's
/// published discount). Pure: the caller reads the file.
package enum ModelTableFile {
    /// The `imageSize` values the API defines (§1.2).
    package static let imageSizes: Set<String> = ["512", "1K", "2K", "4K"]

    package static func apply(_ bytes: [UInt8], to base: ModelCatalog) throws(ModelTableError) -> ModelCatalog {
        let root: JSONNode
        do {
            root = try JSONDocument.parse(bytes)
        } catch {
            throw ModelTableError(path: "", location: error.location, message: error.message)
        }
        return try Reader(locator: SourceLocator(bytes)).apply(root, to: base)
    }

    struct Reader {
        let locator: SourceLocator

        func fail(_ path: String, _ message: String, at offset: Int) -> ModelTableError {
            ModelTableError(path: path, location: locator.location(of: offset), message: message)
        }

        func members(
            _ node: JSONNode,
            _ path: String,
            allowed: Set<String>? = nil
        ) throws(ModelTableError) -> [JSONNode.Member] {
            guard case .object(let members) = node.value else {
                throw fail(path, "expected an object, found \(node.typeName)", at: node.offset)
            }
            var seen: Set<String> = []
            for member in members {
                let memberPath = path.isEmpty ? member.key : path + "." + member.key
                if !seen.insert(member.key).inserted {
                    throw fail(memberPath, "\"\(member.key)\" appears twice; keep one", at: member.keyOffset)
                }
                if let allowed, !allowed.contains(member.key) {
                    throw fail(
                        memberPath,
                        "unknown field \"\(member.key)\"; the fields here are \(allowed.sorted().joined(separator: ", "))",
                        at: member.keyOffset
                    )
                }
            }
            return members
        }

        func strings(_ node: JSONNode, _ path: String) throws(ModelTableError) -> [String] {
            guard case .array(let items) = node.value else {
                throw fail(path, "expected an array of strings, found \(node.typeName)", at: node.offset)
            }
            var result: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let text) = item.value else {
                    throw fail("\(path)[\(index)]", "expected a string, found \(item.typeName)", at: item.offset)
                }
                result.append(text)
            }
            return result
        }

        func apply(_ root: JSONNode, to base: ModelCatalog) throws(ModelTableError) -> ModelCatalog {
            var catalog = base
            var touched: [(id: String, node: JSONNode)] = []
            for member in try members(root, "", allowed: ["models", "chains"]) {
                if member.key == "models" {
                    for model in try members(member.value, "models") {
                        let path = "models." + model.key
                        guard !model.key.isEmpty,
                            model.key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) })
                        else {
                            throw fail(
                                path,
                                "\"\(model.key)\" is not a model id (letters, digits, '-', '.', '_')",
                                at: model.keyOffset
                            )
                        }
                        catalog.models[model.key] = try merged(
                            model.value,
                            path,
                            over: catalog.models[model.key],
                            id: model.key
                        )
                        touched.append((model.key, model.value))
                    }
                } else {
                    for chain in try members(member.value, "chains", allowed: ["draft", "production"]) {
                        let path = "chains." + chain.key
                        let ids = try strings(chain.value, path)
                        guard !ids.isEmpty else {
                            throw fail(path, "a chain needs at least one model", at: chain.value.offset)
                        }
                        for id in ids {
                            if catalog.models[catalog.link(id).model] == nil {
                                throw fail(
                                    path,
                                    "\"\(id)\" is not in the model table; add it under \"models\" first",
                                    at: chain.value.offset
                                )
                            }
                            if let problem = catalog.problem(with: id) {
                                throw fail(path, problem, at: chain.value.offset)
                            }
                        }
                        if chain.key == "draft" { catalog.draftChain = ids } else { catalog.productionChain = ids }
                    }
                }
            }
            for (id, node) in touched {
                if let problem = catalog.models[id]?.incompleteness {
                    throw fail("models." + id, "\(id) \(problem)", at: node.offset)
                }
            }
            return catalog
        }

        func merged(
            _ node: JSONNode,
            _ path: String,
            over existing: ModelSpec?,
            id: String
        ) throws(ModelTableError) -> ModelSpec {
            var spec = existing ?? ModelSpec(id: id, aspectRatios: [], imageSizes: [], outputs: [:], pricePerImage: [:])
            for field in try members(
                node,
                path,
                allowed: [
                    "aspect_ratios", "image_sizes", "outputs", "price_per_image", "batch_price_per_image",
                    "price_per_million_tokens", "max_reference_images", "timeout_seconds", "deprecated",
                ]
            ) {
                let fieldPath = path + "." + field.key
                switch field.key {
                case "aspect_ratios":
                    let ratios = try strings(field.value, fieldPath)
                    if let bad = ratios.first(where: { !Self.isRatio($0) }) {
                        throw fail(fieldPath, "\"\(bad)\" is not an aspect ratio like \"16:9\"", at: field.value.offset)
                    }
                    spec.aspectRatios = ratios
                case "image_sizes":
                    let sizes = try strings(field.value, fieldPath)
                    if let bad = sizes.first(where: { !ModelTableFile.imageSizes.contains($0) }) {
                        throw fail(
                            fieldPath,
                            "\"\(bad)\" is not an image size the API defines (512, 1K, 2K, 4K)",
                            at: field.value.offset
                        )
                    }
                    spec.imageSizes = sizes
                case "outputs":
                    for size in try members(field.value, fieldPath) {
                        var table = spec.outputs[size.key] ?? [:]
                        for ratio in try members(size.value, fieldPath + "." + size.key) {
                            let ratioPath = fieldPath + "." + size.key + "." + ratio.key
                            guard case .string(let text) = ratio.value.value, let pixels = Self.pixels(text) else {
                                throw fail(ratioPath, "expected a pixel size like \"1376x768\"", at: ratio.value.offset)
                            }
                            table[ratio.key] = pixels
                        }
                        spec.outputs[size.key] = table
                    }
                case "price_per_million_tokens":
                    var prices = [String: Double]()
                    let kinds = ["image_output", "text_output", "input"]
                    for kind in try members(field.value, fieldPath, allowed: Set(kinds)) {
                        prices[kind.key] = try number(
                            kind.value,
                            fieldPath + "." + kind.key,
                            in: 0...10_000,
                            "a price in USD per million tokens, such as 30"
                        )
                    }
                    let old = spec.tokenPrices
                    guard let image = prices["image_output"] ?? old?.imageOutput,
                        let text = prices["text_output"] ?? old?.textOutput, let input = prices["input"] ?? old?.input
                    else {
                        throw fail(fieldPath, "needs all of \(kinds.joined(separator: ", "))", at: field.value.offset)
                    }
                    spec.tokenPrices = .init(imageOutput: image, textOutput: text, input: input)
                case "max_reference_images":
                    var limits = [String: Int]()
                    let kinds = ["total", "characters", "objects"]
                    for kind in try members(field.value, fieldPath, allowed: Set(kinds)) {
                        limits[kind.key] = Int(
                            try number(
                                kind.value,
                                fieldPath + "." + kind.key,
                                in: 0...100,
                                whole: true,
                                "a whole number of images from 0 to 100"
                            )
                        )
                    }
                    let old = spec.referenceLimits
                    guard let total = limits["total"] ?? old?.total,
                        let characters = limits["characters"] ?? old?.characters,
                        let objects = limits["objects"] ?? old?.objects
                    else {
                        throw fail(fieldPath, "needs all of \(kinds.joined(separator: ", "))", at: field.value.offset)
                    }
                    spec.referenceLimits = .init(total: total, characters: characters, objects: objects)
                case "timeout_seconds":
                    for size in try members(field.value, fieldPath) {
                        spec.timeouts[size.key] = try number(
                            size.value,
                            fieldPath + "." + size.key,
                            in: 1...3600,
                            "seconds, from 1 to 3600"
                        )
                    }
                case "deprecated":
                    switch field.value.value {
                    case .null:
                        spec.deprecated = nil
                    case .string(let date) where Self.isDate(date):
                        spec.deprecated = date
                    default:
                        throw fail(fieldPath, "expected null or a date like \"2026-10-06\"", at: field.value.offset)
                    }
                default:
                    for size in try members(field.value, fieldPath) {
                        let sizePath = fieldPath + "." + size.key
                        guard case .number(let text) = size.value.value, let price = Double(text), price >= 0,
                            price < 100
                        else {
                            throw fail(
                                sizePath,
                                "expected a price in USD per image, such as 0.067",
                                at: size.value.offset
                            )
                        }
                        if field.key == "price_per_image" {
                            spec.pricePerImage[size.key] = price
                        } else {
                            spec.batchPricePerImage[size.key] = price
                        }
                    }
                }
            }
            return spec
        }

        /// A number within `range`, or a located error saying what was expected.
        func number(
            _ node: JSONNode,
            _ path: String,
            in range: ClosedRange<Double>,
            whole: Bool = false,
            _ expected: String
        ) throws(ModelTableError) -> Double {
            guard case .number(let text) = node.value, let value = Double(text), range.contains(value),
                !whole || value.rounded() == value
            else {
                throw fail(path, "expected \(expected)", at: node.offset)
            }
            return value
        }

        static func isDate(_ text: String) -> Bool {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            return parts.map(\.count) == [4, 2, 2] && parts.allSatisfy { $0.allSatisfy(\.isASCII) && Int($0) != nil }
        }

        static func isRatio(_ text: String) -> Bool {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count == 2
                && parts.allSatisfy {
                    !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && Int($0).map { $0 > 0 } == true
                }
        }

        static func pixels(_ text: String) -> ModelSpec.Pixels? {
            let parts = text.split(separator: "x", omittingEmptySubsequences: false)
            guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), (1...16384).contains(width),
                (1...16384).contains(height)
            else {
                return nil
            }
            return ModelSpec.Pixels(width, height)
        }
    }
}

/// A model table file SceneDrop cannot use: where (JSON path, line, column) and what to change.
package struct ModelTableError: Error, Sendable, Equatable, CustomStringConvertible {
    package var path: String
    package var location: SourceLocation
    package var message: String

    package var description: String {
        "line \(location.line), column \(location.column)" + (path.isEmpty ? "" : " (\(path))") + ": " + message
    }
}

extension ModelSpec {
    /// What the model lacks to be planned and priced, or nil when complete. A model with no price would
    /// be free to the budget, so a price is required for every size.
    var incompleteness: String? {
        if aspectRatios.isEmpty { return "needs \"aspect_ratios\"" }
        for size in imageSizes.isEmpty ? [""] : imageSizes {
            let label = size.isEmpty ? "(no size control, key \"\")" : size
            let keys = qualities.isEmpty ? [size] : Set(qualities.values).sorted().map { "\($0) \(size)" }
            if let missing = keys.first(where: { pricePerImage[$0] == nil }) {
                return
                    "needs a price for \(missing == size ? "size \(label)" : "\"\(missing)\"") in \"price_per_image\""
            }
            for ratio in aspectRatios where outputs[size]?[ratio] == nil {
                return "needs the output size for \(ratio) at \(label) in \"outputs\""
            }
        }
        return nil
    }
}
