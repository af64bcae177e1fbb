import Imaging

/// An image as a provider hands it back: already checked, and at the requested size and format.
package struct ProviderImage: Sendable {
    package var bytes: [UInt8]
    package var format: ImageFormat
    package var width: Int
    package var height: Int
    /// The provider that served the model (`gemini`, `vertex`, `openai`), when it is not the chain link's
    /// own name: one link walks every vendor's models.
    package var provider: String?
    package var model: String?
    package var imageSize: String?
    package var costUSD: Double
    /// The tokens the answer reported (nil for a cached image, the placeholder, or an API that reports none).
    package var usage: TokenUsage?
    package var cacheHit: Bool
    package var attempts: Int
    /// The prompt text the provider actually used.
    package var enhancedPrompt: String

    package init(
        bytes: [UInt8],
        format: ImageFormat,
        width: Int,
        height: Int,
        model: String?,
        imageSize: String?,
        costUSD: Double,
        cacheHit: Bool,
        attempts: Int,
        enhancedPrompt: String,
        usage: TokenUsage? = nil
    ) {
        self.usage = usage
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
package struct ProviderResult: Sendable {
    package var image: ProviderImage
    /// Models tried before, in order; empty when the first one served.
    package var tried: [ProviderAttempt]
    /// Why the first of those failed, when there were any.
    package var firstFailure: FallbackReason?

    package init(image: ProviderImage, tried: [ProviderAttempt] = [], firstFailure: FallbackReason? = nil) {
        self.image = image
        self.tried = tried
        self.firstFailure = firstFailure
    }
}

/// One link of the provider chain.
package protocol ImageProvider: Sendable {
    /// The name in metadata, e.g. `gemini` or `placeholder`.
    var name: String { get }
    /// Whether an image from this provider is a real one (the placeholder is always a fallback).
    var isReal: Bool { get }
    /// Makes the image, doing network work inside `phases.network`/`phases.request` and CPU work inside
    /// `phases.cpu`/`phases.request`, so the daemon's `--concurrency` bounds requests, not renders.
    func generate(_ request: ImageRequest, phases: ProviderPhases) async throws(ProviderFailure) -> ProviderResult
    /// What limits this provider now, in plain words; empty when nothing does.
    func conditions() async -> [String]
    /// Asks the APIs which models the credentials can use, and leaves the others out of the chains.
    func refreshModels() async
}

extension ImageProvider {
    /// A provider with no state of its own (the placeholder) has nothing limiting it.
    package func conditions() async -> [String] { [] }

    /// A provider without a model list (the placeholder) has nothing to refresh.
    package func refreshModels() async {}
}

// MARK: - Batch

/// A session sent as one batch: its scenes' requests and what identifies its content.
package struct BatchSession: Sendable {
    package var session: String
    /// The dropped manifest's SHA-256: a re-drop with other content replaces the batch.
    package var manifestSHA256: String
    package var requests: [ImageRequest]

    package init(session: String, manifestSHA256: String, requests: [ImageRequest]) {
        self.session = session
        self.manifestSHA256 = manifestSHA256
        self.requests = requests
    }
}

/// How one scene of a batch came out.
package enum BatchSceneResult: Sendable {
    case image(ProviderResult)
    /// The scene goes through the chain with this failure recorded first; `final`: straight to the
    /// last resort (a safety block, which no other request would lift).
    case failed(ProviderFailure, final: Bool)
}

package enum BatchOutcome: Sendable {
    /// Per scene number; a scene not listed goes through the chain as an interactive request.
    case scenes([Int: BatchSceneResult])
    /// A newer drop of the session took its place (and cancelled this one's jobs): publish nothing.
    case superseded
}

/// A provider that can make a whole session's images as one deferred job at a lower price.
package protocol BatchImageProvider: ImageProvider {
    /// Sends (or, after a restart, finds again) the session's jobs and waits for them. Throws only
    /// when the task is cancelled; what was sent stays on record for the next run.
    /// `progress` hears each scene's state by scene number.
    func generateBatch(
        _ batch: BatchSession,
        phases: ProviderPhases,
        progress: @escaping @Sendable (Int, SceneProgress) -> Void
    ) async throws(CancellationError) -> BatchOutcome
    /// The session ended (published or rejected): its record is no longer needed.
    func batchFinished(_ batch: BatchSession) async
}
