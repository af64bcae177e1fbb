/// One vendor's image API, as the shared machinery (`ModelProvider`: the quota line, retries, the
/// budget, model health, the cache) uses it. A vendor module holds only what differs: the wire
/// format, the credentials, and how its answers map to `APIAnswer`'s shared failure kinds.
package protocol ImageAPI: Sendable {
    /// The provider's name in chains and metadata: `gemini`, `vertex`, `openai`.
    var provider: String { get }
    /// Where the requests go, for log lines (never a credential).
    var baseURL: String { get }
    /// One image request, within the API's deadline.
    func generate(_ request: APIRequest) async -> APIAnswer
    /// A cheap request that says whether the credentials are accepted and the model exists, without
    /// generating anything: `.noImage` when they are, a failure when not.
    func probe(model: String) async -> APIAnswer
    /// The models the credentials can use, every page of them; nil for an API that has no such list.
    func listModels() async -> ModelList?
}

extension ImageAPI {
    package func listModels() async -> ModelList? { nil }
}

/// What listing an API's models came to.
package enum ModelList: Sendable, Equatable {
    /// The model ids (without `models/`).
    case listed(Set<String>)
    /// The list could not be read; the chains are kept as they are (a refused key disables the provider).
    case failed(RetryPolicy.Failure)
}

/// What one image request asks of a model, in vendor-neutral terms.
package struct APIRequest: Sendable, Equatable {
    package var model: String
    /// The prompt as sent (the scene's text with its style and negative prompt worked in).
    package var prompt: String
    /// `W:H`, as the manifest gives it.
    package var aspectRatio: String
    /// The model's size name (`1K`, `2K`, `4K`), when the model takes one.
    package var imageSize: String?
    /// The total deadline for this model and size from the table; nil: the API's own (`--request-timeout`).
    package var timeout: Duration?
    /// The vendor's quality setting for the manifest's quality (OpenAI's `low` / `high`), when it has one.
    package var quality: String?
    /// Reference images, in the order the prompt names them ("Image 1: …"); empty for text alone.
    package var references: [APIReference] = []

    package init(
        model: String,
        prompt: String,
        aspectRatio: String,
        imageSize: String?,
        timeout: Duration? = nil,
        quality: String? = nil
    ) {
        self.quality = quality
        self.model = model
        self.prompt = prompt
        self.aspectRatio = aspectRatio
        self.imageSize = imageSize
        self.timeout = timeout
    }
}

/// One reference image as a request carries it (contract §7): already downscaled, with its type.
package struct APIReference: Sendable, Equatable {
    package var bytes: [UInt8]
    /// `image/png`, `image/jpeg` or `image/webp`.
    package var mimeType: String
    /// The file name it is sent under, where the wire format has one (OpenAI's `image[]` parts).
    package var fileName: String

    package init(bytes: [UInt8], mimeType: String, fileName: String) {
        self.bytes = bytes
        self.mimeType = mimeType
        self.fileName = fileName
    }
}
