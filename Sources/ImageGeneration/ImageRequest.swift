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

    public init(
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
