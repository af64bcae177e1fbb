import Foundation
import SceneManifest

/// Which models to try for a scene, in order, and at which `imageSize` (docs/gemini-image-api.md,
/// "SceneDrop's decisions"): draft is Lite → 2.1 at 1K; production is Pro → 2.1 at the smallest
/// size whose output covers the target; a manifest's `model` goes first.
package struct ModelPlan: Sendable, Equatable {
    package struct Step: Sendable, Equatable {
        /// Who serves it: `gemini`, `vertex`, `openai`.
        package var provider: String = "gemini"
        package var model: String
        /// `nil` for models without size control (and unknown models): no `imageSize` is sent.
        package var imageSize: String?
        /// `nil` when the model is not in the table.
        package var pricePerImage: Double?
        /// The price through the Batch API; `nil` when the model is not in the table.
        package var batchPricePerImage: Double?
        /// The table's deadline for one request, in seconds; `nil`: the client's (`--request-timeout`).
        package var timeout: Double?
        /// The model's token prices: an answer that reports its usage costs what that comes to.
        package var tokenPrices: ModelSpec.TokenPrices?
        /// The vendor's quality setting sent with the request (OpenAI's `low` / `high`), if it has one.
        package var quality: String?

        package init(
            provider: String = "gemini",
            model: String,
            imageSize: String?,
            pricePerImage: Double?,
            batchPricePerImage: Double? = nil,
            timeout: Double? = nil,
            tokenPrices: ModelSpec.TokenPrices? = nil,
            quality: String? = nil
        ) {
            self.quality = quality
            self.tokenPrices = tokenPrices
            self.provider = provider
            self.model = model
            self.imageSize = imageSize
            self.pricePerImage = pricePerImage
            self.batchPricePerImage = batchPricePerImage
            self.timeout = timeout
        }
    }

    package struct Skip: Sendable, Equatable {
        package var provider: String = "gemini"
        package var model: String
        package var reason: String
    }

    package var steps: [Step]
    /// Models left out before any request, each with why (never sent a request the API rejects).
    package var skipped: [Skip]

    package init(
        quality: Manifest.Quality,
        manifestModel: String?,
        aspectRatio: String,
        width: Int,
        height: Int,
        catalog: ModelCatalog,
        references: ReferenceNeed = ReferenceNeed()
    ) {
        var order = (quality == .draft ? catalog.draftChain : catalog.productionChain).map(catalog.link)
        if let manifestModel {
            // First, through the provider the chain names for it; a model the chain lacks, through its own
            // vendor, or the chain's first provider for a model the table does not know.
            let provider =
                order.first { $0.model == manifestModel }?.provider ?? catalog[manifestModel]?.provider
                ?? order.first?.provider ?? "gemini"
            order.removeAll { $0.model == manifestModel }
            order.insert(ChainLink(provider: provider, model: manifestModel), at: 0)
        }
        var steps: [Step] = []
        var skipped: [Skip] = []
        for link in order {
            let (provider, id) = (link.provider, link.model)
            guard let spec = catalog[id] else {
                // Only a manifest can name a model we do not know: try it, sending nothing optional.
                steps.append(Step(provider: provider, model: id, imageSize: nil, pricePerImage: nil))
                continue
            }
            guard spec.aspectRatios.contains(aspectRatio) else {
                skipped.append(
                    Skip(
                        provider: provider,
                        model: id,
                        reason:
                            "\(id) does not support aspect ratio \(aspectRatio) (it supports \(spec.aspectRatios.joined(separator: " ")))"
                    )
                )
                continue
            }
            if let refusal = references.refusal(by: spec.referenceLimits, model: id) {
                skipped.append(Skip(provider: provider, model: id, reason: refusal))
                continue
            }
            guard spec.supportsImageSize else {
                steps.append(
                    Step(
                        provider: provider,
                        model: id,
                        imageSize: nil,
                        pricePerImage: spec.price(size: nil),
                        batchPricePerImage: spec.batchPrice(size: nil),
                        timeout: spec.timeout(size: nil),
                        tokenPrices: spec.tokenPrices
                    )
                )
                continue
            }
            if spec.sizeByNearestRatio {
                let size = Self.nearestShape(spec.imageSizes, width: width, height: height)
                let vendorQuality = spec.qualities[quality.rawValue]
                let key = ModelSpec.priceKey(size: size, quality: vendorQuality)
                steps.append(
                    Step(
                        provider: provider,
                        model: id,
                        imageSize: size,
                        pricePerImage: spec.price(size: key),
                        batchPricePerImage: nil,
                        timeout: spec.timeout(size: size),
                        tokenPrices: spec.tokenPrices,
                        quality: vendorQuality
                    )
                )
                continue
            }
            let size: String
            if quality == .draft {
                guard spec.imageSizes.contains("1K") else {
                    skipped.append(Skip(provider: provider, model: id, reason: "\(id) does not offer image size 1K"))
                    continue
                }
                size = "1K"
            } else {
                // The smallest size that covers the target, or the largest the model has.
                size =
                    spec.imageSizes.first {
                        spec.output(size: $0, aspectRatio: aspectRatio)?.covers(width: width, height: height) == true
                    }
                    ?? spec.imageSizes.last!
            }
            steps.append(
                Step(
                    provider: provider,
                    model: id,
                    imageSize: size,
                    pricePerImage: spec.price(size: size),
                    batchPricePerImage: spec.batchPrice(size: size),
                    timeout: spec.timeout(size: size),
                    tokenPrices: spec.tokenPrices
                )
            )
        }
        self.steps = steps
        self.skipped = skipped
    }

    /// Of sizes written `WxH`, the one whose shape is nearest `width` × `height` (by the ratio's logarithm,
    /// so 2:1 and 1:2 are equally far from 1:1); the first on a tie, and the first of all when none parses.
    static func nearestShape(_ sizes: [String], width: Int, height: Int) -> String {
        let target = log(Double(max(width, 1)) / Double(max(height, 1)))
        func distance(_ size: String) -> Double {
            let parts = size.split(separator: "x").compactMap { Double($0) }
            guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return .infinity }
            return abs(log(parts[0] / parts[1]) - target)
        }
        return sizes.min { distance($0) < distance($1) } ?? sizes.first ?? ""
    }

    /// The plan for `request` from `catalog`.
    package init(for request: ImageRequest, catalog: ModelCatalog) {
        self.init(
            quality: request.quality,
            manifestModel: request.model,
            aspectRatio: request.aspectRatio.description,
            width: request.width,
            height: request.height,
            catalog: catalog,
            references: ReferenceNeed(request.references)
        )
    }
}
