import Imaging
import SceneManifest

/// Everything a provider needs to make one scene's image.
package struct ImageRequest: Sendable {
    package var session: String
    package var sceneNumber: Int
    package var prompt: String
    package var negativePrompt: String?
    package var style: ImageStyle
    package var aspectRatio: AspectRatio
    package var width: Int
    package var height: Int
    package var quality: Manifest.Quality
    /// A manifest's `model`, tried first.
    package var model: String?
    package var format: OutputFormat
    /// The scene's reference images, in the order they are sent and named ("Image 1: …"): the named ones of
    /// the manifest, then the image of the scene it continues from (contract §7).
    package var references: [ReferenceImage] = []

    package init(
        session: String,
        sceneNumber: Int,
        prompt: String,
        negativePrompt: String?,
        style: ImageStyle,
        aspectRatio: AspectRatio,
        width: Int,
        height: Int,
        quality: Manifest.Quality,
        model: String?,
        format: OutputFormat
    ) {
        self.session = session
        self.sceneNumber = sceneNumber
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.style = style
        self.aspectRatio = aspectRatio
        self.width = width
        self.height = height
        self.quality = quality
        self.model = model
        self.format = format
    }
}
