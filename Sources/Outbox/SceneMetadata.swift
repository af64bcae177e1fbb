/// `scene-NNN.json` (contract §4), schema `scenedrop.scene/v1`.
public struct SceneMetadata: Codable, Sendable, Equatable {
    public struct Image: Codable, Sendable, Equatable {
        public var file: String
        public var format: String
        public var width: Int
        public var height: Int
        public var bytes: Int
        public var sha256: String

        public init(file: String, format: String, width: Int, height: Int, bytes: Int, sha256: String) {
            self.file = file
            self.format = format
            self.width = width
            self.height = height
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    public struct Prompt: Codable, Sendable, Equatable {
        public var original: String
        public var enhanced: String
        public var negative: String?
        public var style: String
        public var aspectRatio: String

        public init(original: String, enhanced: String, negative: String?, style: String, aspectRatio: String) {
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

    public struct Tried: Codable, Sendable, Equatable {
        public var provider: String
        public var model: String?
        public var error: String
        public var attempts: Int

        public init(provider: String, model: String?, error: String, attempts: Int) {
            self.provider = provider
            self.model = model
            self.error = error
            self.attempts = attempts
        }
    }

    public struct Fallback: Codable, Sendable, Equatable {
        public var reason: String
        public var tried: [Tried]

        public init(reason: String, tried: [Tried]) {
            self.reason = reason
            self.tried = tried
        }
    }

    public var schema = "scenedrop.scene/v1"
    public var session: String
    public var sceneNumber: Int
    public var image: Image
    public var prompt: Prompt
    public var provider: String
    public var model: String?
    public var imageSize: String?
    public var costUSD: Double
    public var cacheHit: Bool
    public var attempts: Int
    public var latencyMS: Int
    public var fallback: Fallback?
    public var createdAt: String

    public init(
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
        createdAt: String
    ) {
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
        case cacheHit = "cache_hit"
        case attempts
        case latencyMS = "latency_ms"
        case fallback
        case createdAt = "created_at"
    }
}
