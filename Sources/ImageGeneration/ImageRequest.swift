import Imaging
import SceneManifest

/// Everything a provider needs to make one scene's image.
public struct ImageRequest: Sendable {
    public var session: String
    public var sceneNumber: Int
    public var prompt: String
    public var negativePrompt: String?
    public var style: ImageStyle
    public var aspectRatio: AspectRatio
    public var width: Int
    public var height: Int
    public var quality: Manifest.Quality
    /// A manifest's `model`, tried first.
    public var model: String?
    public var format: OutputFormat

    public init(manifest: Manifest, scene: Manifest.Scene, format: OutputFormat) {
        session = manifest.session
        sceneNumber = scene.sceneNumber
        prompt = scene.prompt
        negativePrompt = scene.negativePrompt
        style = scene.style
        aspectRatio = manifest.aspectRatio
        width = manifest.width
        height = manifest.height
        quality = manifest.quality
        model = manifest.model
        self.format = format
    }
}
