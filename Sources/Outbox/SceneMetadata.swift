/// `scene-NNN.json` (contract §4), schema `scenedrop.scene/v1`.
package struct SceneMetadata: Codable, Sendable, Equatable {
    package struct Image: Codable, Sendable, Equatable {
        package var file: String
        package var format: String
        package var width: Int
        package var height: Int
        package var bytes: Int
        package var sha256: String

        package init(file: String, format: String, width: Int, height: Int, bytes: Int, sha256: String) {
            self.file = file
            self.format = format
            self.width = width
            self.height = height
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    package struct Prompt: Codable, Sendable, Equatable {
        package var original: String
        package var enhanced: String
        package var negative: String?
        package var style: String
        package var aspectRatio: String

        package init(original: String, enhanced: String, negative: String?, style: String, aspectRatio: String) {
            self.original = original
            self.enhanced = enhanced
            self.negative = negative
            self.style = style
            self.aspectRatio = aspectRatio
        }

        enum CodingKeys: String, CodingKey {
            case original, enhanced, negative, style
            case aspectRatio = "aspect_ratio"
        }
    }

    package struct Tried: Codable, Sendable, Equatable {
        package var provider: String
        package var model: String?
        package var error: String
        package var attempts: Int

        package init(provider: String, model: String?, error: String, attempts: Int) {
            self.provider = provider
            self.model = model
            self.error = error
            self.attempts = attempts
        }
    }

    /// The tokens the answer reported (contract §11), which its `cost_usd` was computed from.
    package struct Usage: Codable, Sendable, Equatable {
        package var inputTokens: Int
        package var outputImageTokens: Int
        package var thinkingTokens: Int
        /// Text the answer carried besides the image; billed like thinking. Not in the contract's list,
        /// added so the four counts and the token prices give `cost_usd` exactly.
        package var outputTextTokens: Int

        package init(inputTokens: Int, outputImageTokens: Int, thinkingTokens: Int, outputTextTokens: Int) {
            self.inputTokens = inputTokens
            self.outputImageTokens = outputImageTokens
            self.thinkingTokens = thinkingTokens
            self.outputTextTokens = outputTextTokens
        }

        enum CodingKeys: String, CodingKey {
            case inputTokens = "input_tokens"
            case outputImageTokens = "output_image_tokens"
            case thinkingTokens = "thinking_tokens"
            case outputTextTokens = "output_text_tokens"
        }
    }

    /// One reference image the scene was made with (contract §7).
    package struct Reference: Codable, Sendable, Equatable {
        package var name: String
        package var file: String
        package var kind: String
        package var sha256: String
        /// The scene continued from; nil (null) for a library file.
        package var fromScene: Int?

        package init(name: String, file: String, kind: String, sha256: String, fromScene: Int?) {
            self.name = name
            self.file = file
            self.kind = kind
            self.sha256 = sha256
            self.fromScene = fromScene
        }

        enum CodingKeys: String, CodingKey {
            case name, file, kind, sha256
            case fromScene = "from_scene"
        }
    }

    package struct Fallback: Codable, Sendable, Equatable {
        package var reason: String
        package var tried: [Tried]

        package init(reason: String, tried: [Tried]) {
            self.reason = reason
            self.tried = tried
        }
    }

    package var schema = "scenedrop.scene/v1"
    package var session: String
    package var sceneNumber: Int
    package var image: Image
    package var prompt: Prompt
    package var provider: String
    package var model: String?
    package var imageSize: String?
    package var costUSD: Double
    /// Nil (null) for a cached image, the placeholder, or an answer that reported no usage.
    package var usage: Usage?
    package var cacheHit: Bool
    package var attempts: Int
    package var latencyMS: Int
    package var fallback: Fallback?
    /// Every reference image of the scene, in the order sent; nil only in files written before references.
    package var references: [Reference]?
    package var createdAt: String

    package init(
        session: String,
        sceneNumber: Int,
        image: Image,
        prompt: Prompt,
        provider: String,
        model: String?,
        imageSize: String?,
        costUSD: Double,
        cacheHit: Bool,
        attempts: Int,
        latencyMS: Int,
        fallback: Fallback?,
        createdAt: String,
        usage: Usage? = nil,
        references: [Reference] = []
    ) {
        self.references = references
        self.usage = usage
        self.session = session
        self.sceneNumber = sceneNumber
        self.image = image
        self.prompt = prompt
        self.provider = provider
        self.model = model
        self.imageSize = imageSize
        self.costUSD = costUSD
        self.cacheHit = cacheHit
        self.attempts = attempts
        self.latencyMS = latencyMS
        self.fallback = fallback
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case schema, session
        case sceneNumber = "scene_number"
        case image, prompt, provider, model
        case imageSize = "image_size"
        case costUSD = "cost_usd"
        case usage
        case cacheHit = "cache_hit"
        case attempts
        case latencyMS = "latency_ms"
        case fallback, references
        case createdAt = "created_at"
    }
}
