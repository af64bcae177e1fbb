import Imaging
import SceneManifest

/// The last link of every chain: a libvips-rendered card, so a session never misses an image.
package struct PlaceholderProvider: ImageProvider {
    package let name = "placeholder"
    package let isReal = false

    package init() {}

    package func generate(
        _ request: ImageRequest,
        phases: ProviderPhases
    ) async throws(ProviderFailure) -> ProviderResult {
        var card = PlaceholderCard(
            sceneNumber: request.sceneNumber,
            prompt: request.prompt,
            style: request.style.rawValue,
            width: request.width,
            height: request.height,
            format: request.format
        )
        card.references = request.references.map(\.name)
        let ready = card
        // All CPU: a render holds no --concurrency permit. Not started once the scene is cancelled (shutdown).
        let rendered: Result<[UInt8], ImagingError>? = await phases.cpuUnlessCancelled {
            Result { () throws(ImagingError) in try ready.render() }
        }
        guard let result = rendered else {
            throw ProviderFailure(
                reason: .invalidImage,
                message: "cancelled before the placeholder was rendered",
                tried: []
            )
        }
        switch result {
        case .success(let bytes):
            return ProviderResult(
                image: ProviderImage(
                    bytes: bytes,
                    format: request.format.imageFormat,
                    width: request.width,
                    height: request.height,
                    model: nil,
                    imageSize: nil,
                    costUSD: 0,
                    cacheHit: false,
                    attempts: 1,
                    enhancedPrompt: request.prompt
                )
            )
        case .failure(let error):
            throw ProviderFailure(reason: .invalidImage, message: error.description, tried: [])
        }
    }
}
