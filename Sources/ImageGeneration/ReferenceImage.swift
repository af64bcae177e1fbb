import SceneManifest

/// One reference image of a scene (contract §7): a file of the reference library, or the image made for the
/// scene it continues from; read and fitted once per session, then shared by every scene that sends it.
package struct ReferenceImage: Sendable {
    /// The manifest's name for it; `scene-001` for the image of a scene continued from.
    package var name: String
    /// Its path inside the library, or the image file of the scene continued from.
    package var file: String
    package var kind: Manifest.ReferenceKind
    package var description: String?
    /// The SHA-256 of the file as read (of the published image, for a scene continued from).
    package var sha256: String
    /// The scene continued from; nil for a library file.
    package var fromScene: Int?
    /// The bytes sent: at most 1536 px on the long side.
    package var image: APIReference

    package init(
        name: String,
        file: String,
        kind: Manifest.ReferenceKind,
        description: String?,
        sha256: String,
        fromScene: Int? = nil,
        image: APIReference
    ) {
        self.name = name
        self.file = file
        self.kind = kind
        self.description = description
        self.sha256 = sha256
        self.fromScene = fromScene
        self.image = image
    }

    /// How the prompt names it: the description, else the name (a scene continued from is said as such).
    package var label: String {
        if let fromScene { return "scene \(fromScene) of this session, to continue from" }
        return description ?? name
    }

    /// The long side references are brought within before they are sent.
    package static let longSide = 1536
    /// The largest library file read (contract §7).
    package static let maximumFileBytes = 20 << 20
}

/// How many reference images of each kind a scene sends: what a model's `referenceLimits` must allow.
package struct ReferenceNeed: Sendable, Equatable {
    package var characters: Int
    package var objects: Int
    package var total: Int { characters + objects }

    package init(characters: Int = 0, objects: Int = 0) {
        self.characters = characters
        self.objects = objects
    }

    /// A scene's need: its named references by kind; the image of a scene continued from counts as an object.
    package init(kinds: [Manifest.ReferenceKind], continues: Bool) {
        characters = kinds.filter { $0 == .character }.count
        objects = kinds.count - characters + (continues ? 1 : 0)
    }

    package init(_ references: [ReferenceImage]) {
        self.init(kinds: references.map(\.kind), continues: false)
    }

    package var isEmpty: Bool { total == 0 }

    /// Why a model with these limits (nil: it takes none) cannot take this need; nil when it can.
    package func refusal(by limits: ModelSpec.ReferenceLimits?, model: String) -> String? {
        guard !isEmpty else { return nil }
        guard let limits else { return "\(model) takes no reference images; this scene has \(total)" }
        var over: [String] = []
        if total > limits.total { over.append("\(total) images (it takes \(limits.total))") }
        if characters > limits.characters { over.append("\(characters) characters (it takes \(limits.characters))") }
        if objects > limits.objects { over.append("\(objects) objects (it takes \(limits.objects))") }
        guard !over.isEmpty else { return nil }
        return "\(model) cannot take this scene's references: " + over.joined(separator: ", ")
    }
}
