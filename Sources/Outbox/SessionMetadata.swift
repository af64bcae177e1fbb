/// `session.json` (contract §4), schema `scenedrop.session/v1`. Written last: its presence
/// means the session is complete, and its mtime is what retention ages.
public struct SessionMetadata: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case generated, cached, fallback
    }

    /// A small JPEG preview in the session's hidden `.thumbs/` folder, for the web view.
    public struct Thumbnail: Codable, Sendable, Equatable {
        /// Relative to the session folder, e.g. `.thumbs/scene-001.jpg`.
        public var file: String
        public var width: Int
        public var height: Int

        public init(file: String, width: Int, height: Int) {
            self.file = file
            self.width = width
            self.height = height
        }
    }

    public struct Scene: Codable, Sendable, Equatable {
        public var sceneNumber: Int
        public var image: String
        public var metadata: String
        public var provider: String
        public var model: String?
        public var status: Status
        public var costUSD: Double
        /// `null` when the preview could not be made (the session is published all the same).
        public var thumbnail: Thumbnail?

        public init(
            sceneNumber: Int,
            image: String,
            metadata: String,
            provider: String,
            model: String?,
            status: Status,
            costUSD: Double,
            thumbnail: Thumbnail? = nil
        ) {
            self.sceneNumber = sceneNumber
            self.image = image
            self.metadata = metadata
            self.provider = provider
            self.model = model
            self.status = status
            self.costUSD = costUSD
            self.thumbnail = thumbnail
        }

        enum CodingKeys: String, CodingKey {
            case sceneNumber = "scene_number"
            case image, metadata, provider, model, status
            case costUSD = "cost_usd"
            case thumbnail
        }
    }

    public struct Totals: Codable, Sendable, Equatable {
        public var scenes: Int
        public var generated: Int
        public var cached: Int
        public var fallbacks: Int
        public var costUSD: Double

        enum CodingKeys: String, CodingKey {
            case scenes, generated, cached, fallbacks
            case costUSD = "cost_usd"
        }

        /// Sums the scenes so the totals can never disagree with them.
        public init(_ scenes: [Scene]) {
            self.scenes = scenes.count
            generated = scenes.filter { $0.status == .generated }.count
            cached = scenes.filter { $0.status == .cached }.count
            fallbacks = scenes.filter { $0.status == .fallback }.count
            costUSD = scenes.reduce(0) { $0 + $1.costUSD }
        }
    }

    public var schema = "scenedrop.session/v1"
    public var session: String
    public var source: String
    public var receivedAt: String
    public var startedAt: String
    public var finishedAt: String
    public var durationMS: Int
    public var quality: String
    public var aspectRatio: String
    public var width: Int
    public var height: Int
    public var scenes: [Scene]
    public var totals: Totals
    public var warnings: [Issue]
    public var host: String
    public var version: String

    public init(
        session: String,
        source: String,
        receivedAt: String,
        startedAt: String,
        finishedAt: String,
        durationMS: Int,
        quality: String,
        aspectRatio: String,
        width: Int,
        height: Int,
        scenes: [Scene],
        warnings: [Issue],
        host: String,
        version: String
    ) {
        self.session = session
        self.source = source
        self.receivedAt = receivedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.durationMS = durationMS
        self.quality = quality
        self.aspectRatio = aspectRatio
        self.width = width
        self.height = height
        self.scenes = scenes
        self.totals = Totals(scenes)
        self.warnings = warnings
        self.host = host
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case schema, session, source
        case receivedAt = "received_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case durationMS = "duration_ms"
        case quality
        case aspectRatio = "aspect_ratio"
        case width, height, scenes, totals, warnings, host, version
    }
}

/// A located problem, as in warnings and quarantine reports.
public struct Issue: Codable, Sendable, Equatable {
    public var path: String
    public var message: String
    public var line: Int?
    public var column: Int?

    public init(path: String, message: String, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
        self.column = column
    }

    enum CodingKeys: String, CodingKey { case path, message, line, column }
}
