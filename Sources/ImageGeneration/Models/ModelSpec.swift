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

    /// USD per million tokens, for the cost of an answer from what its usage reports.
    package struct TokenPrices: Sendable, Equatable, Codable {
        /// Image output tokens.
        package var imageOutput: Double
        /// Text and thinking output tokens (thinking is billed whether or not thoughts are returned).
        package var textOutput: Double
        /// Input tokens: the prompt and every reference image.
        package var input: Double

        package init(imageOutput: Double, textOutput: Double, input: Double) {
            self.imageOutput = imageOutput
            self.textOutput = textOutput
            self.input = input
        }
    }

    /// How many reference images one request may carry (contract §7).
    package struct ReferenceLimits: Sendable, Equatable, Codable {
        package var total: Int
        package var characters: Int
        package var objects: Int

        package init(total: Int, characters: Int, objects: Int) {
            self.total = total
            self.characters = characters
            self.objects = objects
        }
    }

    package var id: String
    /// The vendor whose API serves the model: `gemini` (Google's models, through the Developer API or
    /// Vertex AI) or `openai`. A chain link that names no provider uses this one.
    package var provider: String = "gemini"
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
    /// Token prices; nil: only the flat per-image price is known.
    package var tokenPrices: TokenPrices?
    /// Reference images a request may carry; nil: none.
    package var referenceLimits: ReferenceLimits?
    /// Seconds one request may take, answer included, per image size (key "" for a model without size
    /// control): Pro and 4K answers often take longer than a minute. `--request-timeout` overrides them all.
    package var timeouts: [String: Double]
    /// The vendor's quality setting per manifest quality (`draft`, `production`), for a vendor that has one
    /// (OpenAI's `low` / `medium` / `high`). Its prices are then keyed `"<quality> <size>"`.
    package var qualities: [String: String] = [:]
    /// How the size is chosen: the smallest that covers the target (Gemini's `1K`…`4K`), or the one whose
    /// shape is nearest the target's (OpenAI's three fixed sizes); the image is then scaled and cropped.
    package var sizeByNearestRatio = false
    /// The date (yyyy-MM-dd) the vendor deprecated the model; nil while it is current. A deprecated model
    /// stays usable when a chain or a manifest names it, but is in no default chain.
    package var deprecated: String?

    package init(
        id: String,
        aspectRatios: [String],
        imageSizes: [String],
        outputs: [String: [String: Pixels]],
        pricePerImage: [String: Double],
        batchPricePerImage: [String: Double] = [:],
        tokenPrices: TokenPrices? = nil,
        referenceLimits: ReferenceLimits? = nil,
        timeouts: [String: Double] = [:],
        deprecated: String? = nil,
        provider: String = "gemini"
    ) {
        self.provider = provider
        self.batchPricePerImage = batchPricePerImage
        self.tokenPrices = tokenPrices
        self.referenceLimits = referenceLimits
        self.timeouts = timeouts
        self.deprecated = deprecated
        self.id = id
        self.aspectRatios = aspectRatios
        self.imageSizes = imageSizes
        self.outputs = outputs
        self.pricePerImage = pricePerImage
    }

    package var supportsImageSize: Bool { !imageSizes.isEmpty }

    /// Whether `provider` can serve this model: its own vendor, or Vertex AI for Google's models.
    package func isServed(by provider: String) -> Bool {
        provider == self.provider || (provider == "vertex" && self.provider == "gemini")
    }

    /// The output pixels for an image size ("" when the model has no size control) and aspect ratio.
    package func output(size: String?, aspectRatio: String) -> Pixels? {
        outputs[size ?? ""]?[aspectRatio]
    }

    /// The deadline of one request at `size`, when the table has one.
    package func timeout(size: String?) -> Double? {
        timeouts[size ?? ""]
    }

    package func price(size: String?) -> Double? {
        pricePerImage[size ?? ""]
    }

    /// The price key of `size` at the vendor quality `quality` (see `qualities`).
    package static func priceKey(size: String, quality: String?) -> String {
        quality.map { "\($0) \(size)" } ?? size
    }

    /// The Batch API's price: "50% of the interactive price" (docs/gemini-image-api.md §3.4, every
    /// model listed there), unless the table names another.
    package func batchPrice(size: String?) -> Double? {
        batchPricePerImage[size ?? ""] ?? price(size: size).map { $0 / 2 }
    }
}
