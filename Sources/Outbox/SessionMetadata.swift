/// `session.json` (contract §4), schema `scenedrop.session/v1`. Written last: its presence
/// means the session is complete, and its mtime is what retention ages.
package struct SessionMetadata: Codable, Sendable, Equatable {
    package enum Status: String, Codable, Sendable {
        case generated, cached, fallback
    }

    /// A small JPEG preview in the session's hidden `.thumbs/` folder, for the web view.
    package struct Thumbnail: Codable, Sendable, Equatable {
        /// Relative to the session folder, e.g. `.thumbs/scene-001.jpg`.
        package var file: String
        package var width: Int
        package var height: Int

        package init(file: String, width: Int, height: Int) {
            self.file = file
            self.width = width
            self.height = height
        }
    }

    package struct Scene: Codable, Sendable, Equatable {
        package var sceneNumber: Int
        package var image: String
        package var metadata: String
        package var provider: String
        package var model: String?
        package var status: Status
        package var costUSD: Double
        /// `null` when the preview could not be made (the session is published all the same).
        package var thumbnail: Thumbnail?

        package init(
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

    package struct Totals: Codable, Sendable, Equatable {
        package var scenes: Int
        package var generated: Int
        package var cached: Int
        package var fallbacks: Int
        package var costUSD: Double

        enum CodingKeys: String, CodingKey {
            case scenes, generated, cached, fallbacks
            case costUSD = "cost_usd"
        }

        /// Sums the scenes so the totals can never disagree with them.
        package init(_ scenes: [Scene]) {
            self.scenes = scenes.count
            generated = scenes.filter { $0.status == .generated }.count
            cached = scenes.filter { $0.status == .cached }.count
            fallbacks = scenes.filter { $0.status == .fallback }.count
            costUSD = scenes.reduce(0) { $0 + $1.costUSD }
        }
    }

    package var schema = "scenedrop.session/v1"
    package var session: String
    package var source: String
    package var receivedAt: String
    package var startedAt: String
    package var finishedAt: String
    package var durationMS: Int
    package var quality: String
    package var aspectRatio: String
    package var width: Int
    package var height: Int
    package var scenes: [Scene]
    package var totals: Totals
    package var warnings: [Issue]
    package var host: String
    package var version: String

    package init(
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
package struct Issue: Codable, Sendable, Equatable {
    package var path: String
    package var message: String
    package var line: Int?
    package var column: Int?

    package init(path: String, message: String, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
        self.column = column
    }

    enum CodingKeys: String, CodingKey { case path, message, line, column }
}
