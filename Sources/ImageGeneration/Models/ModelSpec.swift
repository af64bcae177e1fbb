/// What SceneDrop knows about one image model: data, not code, because models retire often
/// (docs/gemini-image-api.md §0). Overridable from configuration.
package struct ModelSpec: Sendable, Equatable, Codable {
    /// A pixel size, width × height.
    package struct Pixels: Sendable, Equatable, Codable {
        package var width: Int
        package var height: Int

        package init(_ width: Int, _ height: Int) {
            self.width = width
            self.height = height
        }

        /// Whether an image of this size can be scaled down (or kept) to cover `width` × `height`.
        package func covers(width: Int, height: Int) -> Bool { self.width >= width && self.height >= height }
    }

    package var id: String
    /// Aspect ratios the API accepts for this model, e.g. "16:9".
    package var aspectRatios: [String]
    /// `imageSize` values the model accepts, smallest first (empty: the API takes no `imageSize`).
    package var imageSizes: [String]
    /// Output pixels per image size and aspect ratio. For a model without size control, under the key "".
    package var outputs: [String: [String: Pixels]]
    /// USD per image per image size (key "" for a model without size control).
    package var pricePerImage: [String: Double]
    /// USD per image through the Batch API, where it is not half of `pricePerImage`.
    package var batchPricePerImage: [String: Double]

    package init(
        id: String,
        aspectRatios: [String],
        imageSizes: [String],
        outputs: [String: [String: Pixels]],
        pricePerImage: [String: Double],
        batchPricePerImage: [String: Double] = [:]
    ) {
        self.batchPricePerImage = batchPricePerImage
        self.id = id
        self.aspectRatios = aspectRatios
        self.imageSizes = imageSizes
        self.outputs = outputs
        self.pricePerImage = pricePerImage
    }

    package var supportsImageSize: Bool { !imageSizes.isEmpty }

    /// The output pixels for an image size ("" when the model has no size control) and aspect ratio.
    package func output(size: String?, aspectRatio: String) -> Pixels? {
        outputs[size ?? ""]?[aspectRatio]
    }

    package func price(size: String?) -> Double? {
        pricePerImage[size ?? ""]
    }

    /// The Batch API's price: "50% of the interactive price" (docs/gemini-image-api.md §3.4, every
    /// model listed there), unless the table names another.
    package func batchPrice(size: String?) -> Double? {
        batchPricePerImage[size ?? ""] ?? price(size: size).map { $0 / 2 }
    }
}
