import Imaging
import Logging
import SceneManifest

extension ImageCache.Key {
    /// The key of `step`'s image for `request`: the same model, prompt, ratio, size and output, whichever
    /// provider serves the model.
    package init(_ step: ModelPlan.Step, prompt: String, request: ImageRequest) {
        self.init(
            model: step.model,
            prompt: prompt,
            aspectRatio: request.aspectRatio.description,
            imageSize: step.imageSize,
            format: request.format,
            width: request.width,
            height: request.height
        )
        references = request.references.map(\.sha256)
    }
}

extension ImageCache {
    /// A cached image from any model of the plan: it makes no request and costs nothing.
    package func image(
        for request: ImageRequest,
        prompt: String,
        plan: ModelPlan,
        phases: ProviderPhases,
        logger: Logger
    ) async -> ProviderResult? {
        for step in plan.steps {
            let key = Key(step, prompt: prompt, request: request)
            // CPU phase: a lookup hashes and decodes the cached image to check it.
            switch await phases.cpu({ self.lookup(key) }) {
            case .hit(let bytes):
                var image = ProviderImage(
                    bytes: bytes,
                    format: request.format.imageFormat,
                    width: request.width,
                    height: request.height,
                    model: step.model,
                    imageSize: step.imageSize,
                    costUSD: 0,
                    cacheHit: true,
                    attempts: 0,
                    enhancedPrompt: prompt
                )
                image.provider = step.provider
                return ProviderResult(image: image)
            case .discarded(let reason):
                logger.warning(
                    "cache entry discarded",
                    metadata: [
                        "scenedrop.model": "\(step.model)", "scenedrop.cache_key": "\(key.digest)",
                        "scenedrop.reason": "\(reason)",
                    ]
                )
            case .miss:
                continue
            }
        }
        return nil
    }
}
