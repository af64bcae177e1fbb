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
    /// The manifest's `references` with each file's SHA-256 (contract §7); nil only in files written before
    /// references.
    package var references: ReferenceMap?
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
        version: String,
        references: ReferenceMap = ReferenceMap()
    ) {
        self.references = references
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
        case width, height, scenes, totals, references, warnings, host, version
    }

    /// The manifest's map from a reference's name to its file, in the manifest's order.
    package struct ReferenceMap: Codable, Sendable, Equatable {
        package struct Entry: Codable, Sendable, Equatable {
            package var file: String
            package var kind: String
            package var description: String?
            package var sha256: String

            package init(file: String, kind: String, description: String?, sha256: String) {
                self.file = file
                self.kind = kind
                self.description = description
                self.sha256 = sha256
            }
        }

        package var entries: [(name: String, entry: Entry)]

        package init(_ entries: [(name: String, entry: Entry)] = []) {
            self.entries = entries
        }

        package subscript(name: String) -> Entry? { entries.first { $0.name == name }?.entry }

        package static func == (a: Self, b: Self) -> Bool {
            a.entries.map(\.name) == b.entries.map(\.name) && a.entries.map(\.entry) == b.entries.map(\.entry)
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            for (name, entry) in entries { try container.encode(entry, forKey: Key(stringValue: name)) }
        }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            entries = try container.allKeys.sorted { $0.stringValue < $1.stringValue }.map {
                ($0.stringValue, try container.decode(Entry.self, forKey: $0))
            }
        }
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
