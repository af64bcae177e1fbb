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

    public init(
        bytes: [UInt8], format: ImageFormat, width: Int, height: Int, model: String?, imageSize: String?, costUSD: Double,
        cacheHit: Bool, attempts: Int, enhancedPrompt: String
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
    }
}

/// A provider's image and what it tried first without one (a 404 before its second model served).
public struct ProviderResult: Sendable {
    public var image: ProviderImage
    /// Models tried before, in order; empty when the first one served.
    public var tried: [ProviderAttempt]
    /// Why the first of those failed, when there were any.
    public var firstFailure: FallbackReason?

    public init(image: ProviderImage, tried: [ProviderAttempt] = [], firstFailure: FallbackReason? = nil) {
        self.image = image
        self.tried = tried
        self.firstFailure = firstFailure
    }
}

/// One link of the provider chain.
public protocol ImageProvider: Sendable {
    /// The name in metadata, e.g. `gemini` or `placeholder`.
    var name: String { get }
    /// Whether an image from this provider is a real one (the placeholder is always a fallback).
    var isReal: Bool { get }
    /// Makes the image, doing network work inside `phases.network`/`phases.request` and CPU work inside
    /// `phases.cpu`/`phases.request`, so the daemon's `--concurrency` bounds requests, not renders.
    func generate(_ request: ImageRequest, phases: ProviderPhases) async throws(ProviderFailure) -> ProviderResult
    /// What limits this provider now, in plain words; empty when nothing does.
    func conditions() async -> [String]
}

extension ImageProvider {
    /// A provider with no state of its own (the placeholder) has nothing limiting it.
    public func conditions() async -> [String] { [] }
}
