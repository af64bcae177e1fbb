/// The model table (docs/gemini-image-api.md §1.2, §3). Prices are the paid tier, USD per image.
package struct ModelCatalog: Sendable, Equatable {
    package var models: [String: ModelSpec]
    /// Models tried for draft manifests, in order (docs/gemini-image-api.md, "SceneDrop's decisions").
    package var draftChain: [String]
    /// Models tried for production manifests, in order.
    package var productionChain: [String]

    /// `gemini-3.1-flash-image`, deprecated on 2026-10-06, is in neither: `gemini-nano-banana-2.1` took its place
    /// (docs/gemini-image-api.md, "SceneDrop's decisions").
    package static let defaultDraftChain = ["gemini-3.1-flash-lite-image", "gemini-nano-banana-2.1"]
    package static let defaultProductionChain = ["gemini-3-pro-image", "gemini-nano-banana-2.1"]

    package init(
        models: [ModelSpec],
        draftChain: [String] = Self.defaultDraftChain,
        productionChain: [String] = Self.defaultProductionChain
    ) {
        self.models = Dictionary(models.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        self.draftChain = draftChain
        self.productionChain = productionChain
    }

    package subscript(id: String) -> ModelSpec? { models[id] }

    /// A chain link as written: `provider:model`, or a bare model id, served by the model's own vendor.
    package func link(_ text: String) -> ChainLink {
        if let colon = text.firstIndex(of: ":") {
            return ChainLink(provider: String(text[..<colon]), model: String(text[text.index(after: colon)...]))
        }
        return ChainLink(provider: self[text]?.provider ?? "gemini", model: text)
    }

    /// Whether a chain has a Vertex AI link (which needs a project and a service-account key).
    package var usesVertex: Bool {
        (draftChain + productionChain).contains { link($0).provider == "vertex" }
    }

    /// What is wrong with a chain link, or nil: the model must be in the table, and the provider one that
    /// serves it.
    package func problem(with text: String) -> String? {
        let link = link(text)
        guard let spec = self[link.model] else {
            return "'\(link.model)' is not in the model table (known: \(models.keys.sorted().joined(separator: ", ")))"
        }
        guard spec.isServed(by: link.provider) else {
            let servers = spec.provider == "gemini" ? "gemini or vertex" : spec.provider
            return "'\(text)': \(link.model) is served by \(servers), not \(link.provider)"
        }
        return nil
    }

    /// The most pixels an answer may declare before it is refused undecoded as `invalid_image`: the table's
    /// largest output with half again as margin. A decompression bomb (a small PNG whose header says
    /// 60000x60000) would otherwise be decoded into gigabytes.
    package var answerPixelLimit: Int {
        let largest =
            models.values.flatMap { $0.outputs.values.flatMap(\.values) }.map { $0.width * $0.height }.max() ?? 0
        return max(largest, 1024 * 1024) * 3 / 2
    }

    /// A copy with `overrides` replacing (or adding) models of the same id.
    package func merging(_ overrides: [ModelSpec]) -> ModelCatalog {
        var copy = self
        for model in overrides { copy.models[model.id] = model }
        return copy
    }

    static let standardRatios = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
    static let flashRatios = standardRatios + ["1:4", "4:1", "1:8", "8:1"]

    /// Pixel sizes of the Gemini 3 family at 1K; 2K and 4K are exact multiples (§3.2, §3.3).
    static let gemini3At1K: [String: ModelSpec.Pixels] = [
        "1:1": .init(1024, 1024), "2:3": .init(848, 1264), "3:2": .init(1264, 848), "3:4": .init(896, 1200),
        "4:3": .init(1200, 896), "4:5": .init(928, 1152), "5:4": .init(1152, 928), "9:16": .init(768, 1376),
        "16:9": .init(1376, 768), "21:9": .init(1584, 672), "1:4": .init(512, 2048), "4:1": .init(2048, 512),
        "1:8": .init(384, 3072), "8:1": .init(3072, 384),
    ]
    /// 3.1 Flash's 512 size (§3.3); 21:9 is printed as 792x168 in the source, evidently 792x336.
    static let flashAt512: [String: ModelSpec.Pixels] = [
        "1:1": .init(512, 512), "2:3": .init(424, 632), "3:2": .init(632, 424), "3:4": .init(448, 600),
        "4:3": .init(600, 448), "4:5": .init(464, 576), "5:4": .init(576, 464), "9:16": .init(384, 688),
        "16:9": .init(688, 384), "21:9": .init(792, 336), "1:4": .init(256, 1024), "4:1": .init(1024, 256),
        "1:8": .init(192, 1536), "8:1": .init(1536, 192),
    ]

    static func scaled(
        _ table: [String: ModelSpec.Pixels],
        by factor: Int,
        only ratios: [String]
    ) -> [String: ModelSpec.Pixels] {
        Dictionary(
            uniqueKeysWithValues: ratios.compactMap { ratio in
                table[ratio].map { (ratio, ModelSpec.Pixels($0.width * factor, $0.height * factor)) }
            }
        )
    }

    /// Request deadlines in seconds (docs/gemini-image-api.md, "Deadlines"): the seed's 60 s holds for the
    /// Flash models at 1K; users report 60–120 s and more for Pro and for 4K. The server sends nothing until
    /// the image is ready, so these are total deadlines.
    static let flashTimeouts: [String: Double] = ["512": 60, "1K": 60, "2K": 90, "4K": 180]
    static let proTimeouts: [String: Double] = ["1K": 120, "2K": 120, "4K": 240]

    package static let builtIn: ModelCatalog = {
        let flash = flashRatios
        let standard = standardRatios
        // Pro: $120 per million image tokens (1120 at 1K and 2K, 2000 at 4K), $12 text and thinking, $2 input.
        let pro = ModelSpec(
            id: "gemini-3-pro-image",
            aspectRatios: standard,
            imageSizes: ["1K", "2K", "4K"],
            outputs: [
                "1K": scaled(gemini3At1K, by: 1, only: standard), "2K": scaled(gemini3At1K, by: 2, only: standard),
                "4K": scaled(gemini3At1K, by: 4, only: standard),
            ],
            pricePerImage: ["1K": 0.134, "2K": 0.134, "4K": 0.24],
            tokenPrices: .init(imageOutput: 120, textOutput: 12, input: 2),
            referenceLimits: .init(total: 14, characters: 5, objects: 6),
            timeouts: proTimeouts
        )
        // 2.1 (GA 2026-10-06): 1K, 2K and 4K (512 answers 400); $30 per million image tokens, $7.50 text and
        // thinking, $1.50 input. The 2K and 4K per-image prices are reported, not published (UNCONFIRMED).
        let banana21 = ModelSpec(
            id: "gemini-nano-banana-2.1",
            aspectRatios: flash,
            imageSizes: ["1K", "2K", "4K"],
            outputs: [
                "1K": scaled(gemini3At1K, by: 1, only: flash), "2K": scaled(gemini3At1K, by: 2, only: flash),
                "4K": scaled(gemini3At1K, by: 4, only: flash),
            ],
            pricePerImage: ["1K": 0.0336, "2K": 0.0504, "4K": 0.113],
            tokenPrices: .init(imageOutput: 30, textOutput: 7.5, input: 1.5),
            referenceLimits: .init(total: 14, characters: 4, objects: 10),
            timeouts: flashTimeouts.filter { $0.key != "512" }
        )
        // Deprecated 2026-10-06 (a shutdown is reported, unconfirmed): usable when named, in no default chain.
        let flash31 = ModelSpec(
            id: "gemini-3.1-flash-image",
            aspectRatios: flash,
            imageSizes: ["512", "1K", "2K", "4K"],
            outputs: [
                "512": flashAt512, "1K": scaled(gemini3At1K, by: 1, only: flash),
                "2K": scaled(gemini3At1K, by: 2, only: flash), "4K": scaled(gemini3At1K, by: 4, only: flash),
            ],
            pricePerImage: ["512": 0.045, "1K": 0.067, "2K": 0.101, "4K": 0.151],
            tokenPrices: .init(imageOutput: 60, textOutput: 3, input: 0.5),
            referenceLimits: .init(total: 14, characters: 4, objects: 10),
            timeouts: flashTimeouts,
            deprecated: "2026-10-06"
        )
        // Lite (GA 2026-06-30): 1K only, "$0.0336 per 1K resolution image" (1120 tokens at $30 per million).
        // Its text and input prices are not published: 3.1 Flash's are used (UNCONFIRMED).
        let lite = ModelSpec(
            id: "gemini-3.1-flash-lite-image",
            aspectRatios: flash,
            imageSizes: ["1K"],
            outputs: ["1K": scaled(gemini3At1K, by: 1, only: flash)],
            pricePerImage: ["1K": 0.0336],
            tokenPrices: .init(imageOutput: 30, textOutput: 3, input: 0.5),
            referenceLimits: .init(total: 14, characters: 4, objects: 10),
            timeouts: ["1K": 60]
        )
        // 2.5 Flash Image: no size control, about 1024 px, $0.039 (1290 tokens at $30 per million). Closed to
        // projects that had not used it by 2026-09-18; a shutdown on 2026-10-02 is reported (UNCONFIRMED).
        let flash25 = ModelSpec(
            id: "gemini-2.5-flash-image",
            aspectRatios: standard,
            imageSizes: [],
            outputs: [
                "": [
                    "1:1": .init(1024, 1024), "2:3": .init(832, 1248), "3:2": .init(1248, 832), "3:4": .init(864, 1184),
                    "4:3": .init(1184, 864), "4:5": .init(896, 1152), "5:4": .init(1152, 896), "9:16": .init(768, 1344),
                    "16:9": .init(1344, 768), "21:9": .init(1536, 672),
                ]
            ],
            pricePerImage: ["": 0.039],
            tokenPrices: .init(imageOutput: 30, textOutput: 2.5, input: 0.3),
            referenceLimits: .init(total: 3, characters: 3, objects: 3),
            timeouts: ["": 60]
        )
        return ModelCatalog(models: [pro, banana21, flash31, lite, flash25])
    }()
}
