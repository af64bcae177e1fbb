import Imaging

/// An image as a provider hands it back: already checked, and at the requested size and format.
public struct ProviderImage: Sendable {
    public var bytes: [UInt8]
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    public var model: String?
    public var imageSize: String?
    public var costUSD: Double
    public var cacheHit: Bool
    public var attempts: Int
    /// The prompt text the provider actually used.
    public var enhancedPrompt: String
    /// Models this provider tried first, without an image (a 404 before the second model served).
    public var earlier: [ProviderAttempt]
    /// Why the first of those failed, when there were any.
    public var earlierReason: FallbackReason?

    public init(
        bytes: [UInt8], format: ImageFormat, width: Int, height: Int, model: String?, imageSize: String?, costUSD: Double,
        cacheHit: Bool, attempts: Int, enhancedPrompt: String, earlier: [ProviderAttempt] = [], earlierReason: FallbackReason? = nil
    ) {
        self.bytes = bytes
        self.format = format
        self.width = width
        self.height = height
        self.model = model
        self.imageSize = imageSize
        self.costUSD = costUSD
        self.cacheHit = cacheHit
        self.attempts = attempts
        self.enhancedPrompt = enhancedPrompt
        self.earlier = earlier
        self.earlierReason = earlierReason
    }
}

/// One link of the provider chain.
public protocol ImageProvider: Sendable {
    /// The name in metadata, e.g. `gemini` or `placeholder`.
    var name: String { get }
    /// Whether an image from this provider is a real one (the placeholder is always a fallback).
    var isReal: Bool { get }
    func generate(_ request: ImageRequest) async throws(ProviderFailure) -> ProviderImage
}
