import ImageGeneration
import Imaging
import SceneManifest

extension ImageRequest {
    /// One scene of a manifest as a provider request: the composition layer's mapping, so image
    /// generation never reads a manifest.
    /// `references`: the scene's reference images, in the order they are sent.
    init(manifest: Manifest, scene: Manifest.Scene, format: OutputFormat, references: [ReferenceImage] = []) {
        self.init(
            session: manifest.session,
            sceneNumber: scene.sceneNumber,
            prompt: scene.prompt,
            negativePrompt: scene.negativePrompt,
            style: scene.style,
            aspectRatio: manifest.aspectRatio,
            width: manifest.width,
            height: manifest.height,
            quality: manifest.quality,
            model: manifest.model,
            format: format
        )
        self.references = references
    }
}
