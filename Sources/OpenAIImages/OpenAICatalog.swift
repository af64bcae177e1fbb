import ImageGeneration

/// OpenAI's image models as the model table holds them. Sizes are the three the GPT image models take;
/// the plan picks the one nearest the target's shape, and the image is scaled and cropped like every other.
/// Prices per model, quality and size are OpenAI's published per-image figures; token prices are per million.
package enum OpenAICatalog {
    package static let sizes = ["1024x1024", "1536x1024", "1024x1536"]
    /// Manifest quality → OpenAI quality: a draft is a cheap preview, production the best it makes.
    package static let qualities = ["draft": "low", "production": "high"]

    /// The default links, per manifest quality, when `--providers` names `openai` without models.
    package static let draftChain = ["openai:gpt-image-1-mini"]
    package static let productionChain = ["openai:gpt-image-1"]

    package static let models: [ModelSpec] = [
        model(
            "gpt-image-1",
            prices: [
                "low": [0.011, 0.016, 0.016], "medium": [0.042, 0.063, 0.063], "high": [0.167, 0.25, 0.25],
            ],
            // $5 text input ($10 for image input), $40 image output per million.
            tokens: .init(imageOutput: 40, textOutput: 0, input: 5)
        ),
        model(
            "gpt-image-1-mini",
            prices: [
                "low": [0.005, 0.006, 0.006], "medium": [0.011, 0.015, 0.015], "high": [0.036, 0.052, 0.052],
            ],
            // $2 text input ($2.50 for image input), $8 image output per million.
            tokens: .init(imageOutput: 8, textOutput: 0, input: 2)
        ),
    ]

    static func model(_ id: String, prices: [String: [Double]], tokens: ModelSpec.TokenPrices) -> ModelSpec {
        let pixels = sizes.map { size -> ModelSpec.Pixels in
            let parts = size.split(separator: "x").compactMap { Int($0) }
            return ModelSpec.Pixels(parts[0], parts[1])
        }
        // Any aspect ratio: the nearest of the three shapes is cropped to it.
        let ratios = ModelCatalog.builtIn.models.values.flatMap(\.aspectRatios)
        let outputs = Dictionary(
            uniqueKeysWithValues: zip(sizes, pixels).map { size, pixels in
                (size, Dictionary(uniqueKeysWithValues: Set(ratios).map { ($0, pixels) }))
            }
        )
        var perImage: [String: Double] = [:]
        for (quality, list) in prices {
            for (size, price) in zip(sizes, list) { perImage[ModelSpec.priceKey(size: size, quality: quality)] = price }
        }
        var spec = ModelSpec(
            id: id,
            aspectRatios: Array(Set(ratios)).sorted(),
            imageSizes: sizes,
            outputs: outputs,
            pricePerImage: perImage,
            tokenPrices: tokens,
            referenceLimits: .init(total: 16, characters: 16, objects: 16),
            // High quality takes well over a minute at times.
            timeouts: Dictionary(uniqueKeysWithValues: sizes.map { ($0, 150) }),
            provider: "openai"
        )
        spec.qualities = qualities
        spec.sizeByNearestRatio = true
        return spec
    }
}
