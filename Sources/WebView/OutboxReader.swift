import Outbox
import SystemSupport

/// Reads the outbox and the quarantine for the page, and resolves the files the page links to.
/// Blocking file I/O: called on the I/O threads.
///
/// A file is served only when it is named by a published session's own metadata (its images,
/// metadata files and previews, plus `manifest.json` and `session.json`) or is a quarantined
/// manifest or its report, and only when it is a regular file reached without a symbolic link. No
/// path from a request is ever opened: the request only picks among names read from disk.
struct OutboxReader: Sendable {
    let outbox: String
    let quarantine: String

    struct SceneCard: Sendable {
        var number: Int
        var image: String
        var metadata: String
        var thumbnail: SessionMetadata.Thumbnail?
        var provider: String
        var model: String?
        var status: String
        var fallbackReason: String?
        var prompt: String
        var costUSD: Double
    }

    /// One reference image of a session (contract §7), shown in the session's strip.
    struct ReferenceCard: Sendable {
        var name: String
        var kind: String
        var description: String?
    }

    struct SessionCard: Sendable {
        /// The folder's name, which links use (the session name as the manifest spelt it is `session`).
        var folder: String
        var session: String
        var finishedAt: String
        var costUSD: Double
        var fallbacks: Int
        var references: [ReferenceCard] = []
        var scenes: [SceneCard]
    }

    struct QuarantineCard: Sendable {
        var name: String
        var reason: String?
        var message: String?
        var located: [String]
        var quarantinedAt: String?
    }

    static let metadataLimit = 16 << 20

    /// The published sessions, newest first.
    func recentSessions(limit: Int) -> [SessionCard] {
        PublishedSessions.newestFirst(in: outbox).prefix(limit).compactMap { card(folder: $0.name) }
    }

    func card(folder: String) -> SessionCard? {
        guard let session = sessionMetadata(folder) else { return nil }
        let scenes = session.scenes.map { scene in
            let meta =
                (try? FileSystem.readRegularFile(
                    outbox + "/" + folder + "/" + scene.metadata,
                    limit: Self.metadataLimit
                ))
                .flatMap { try? MetadataCoding.decode(SceneMetadata.self, from: $0) }
            return SceneCard(
                number: scene.sceneNumber,
                image: scene.image,
                metadata: scene.metadata,
                thumbnail: scene.thumbnail,
                provider: scene.provider,
                model: scene.model,
                status: scene.status.rawValue,
                fallbackReason: meta?.fallback?.reason,
                prompt: meta?.prompt.original ?? "",
                costUSD: scene.costUSD
            )
        }
        return SessionCard(
            folder: folder,
            session: session.session,
            finishedAt: session.finishedAt,
            costUSD: session.totals.costUSD,
            fallbacks: session.totals.fallbacks,
            references: (session.references?.entries ?? []).map {
                ReferenceCard(name: $0.name, kind: $0.entry.kind, description: $0.entry.description)
            },
            scenes: scenes
        )
    }

    func sessionMetadata(_ folder: String) -> SessionMetadata? {
        guard Self.isPlainName(folder), let info = try? FileSystem.info(outbox + "/" + folder), info.kind == .directory,
            let bytes = try? FileSystem.readRegularFile(
                outbox + "/" + folder + "/session.json",
                limit: Self.metadataLimit
            )
        else { return nil }
        return try? MetadataCoding.decode(SessionMetadata.self, from: bytes)
    }

    /// The newest `limit` quarantined manifests as cards, and how many there are in all.
    func quarantined(limit: Int) -> (cards: [QuarantineCard], total: Int) {
        let (entries, total) = Quarantine(directory: quarantine).newest(limit)
        return (cards(entries), total)
    }

    private func cards(_ entries: [Quarantine.Entry]) -> [QuarantineCard] {
        entries.map { entry in
            let located = (entry.report?.errors ?? []).map { issue in
                var place = issue.path.isEmpty ? "" : issue.path
                if let line = issue.line {
                    place +=
                        (place.isEmpty ? "" : " ") + "(line \(line)" + (issue.column.map { ", column \($0)" } ?? "")
                        + ")"
                }
                return place.isEmpty ? issue.message : place + ": " + issue.message
            }
            return QuarantineCard(
                name: entry.name,
                reason: entry.report?.reason,
                message: entry.report?.message,
                located: located,
                quarantinedAt: entry.report?.quarantinedAt
            )
        }
    }

    // MARK: - Files

    struct ServedFile: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }

    /// A file of a published session by its name in the session's metadata; nil for anything else.
    func sessionFile(folder: String, name: String) -> ServedFile? {
        guard Self.isPlainName(name), let session = sessionMetadata(folder) else { return nil }
        let listed = ["manifest.json", "session.json"] + session.scenes.flatMap { [$0.image, $0.metadata] }
        guard listed.contains(name) else { return nil }
        return read(outbox + "/" + folder + "/" + name)
    }

    /// A scene's preview, by the image's file name; nil when the session lists none (old sessions:
    /// the caller makes one).
    func listedThumbnail(folder: String, image: String) -> ServedFile? {
        guard let session = sessionMetadata(folder),
            let file = session.scenes.first(where: { $0.image == image })?.thumbnail?.file,
            file.hasPrefix(SessionStaging.thumbnailFolder + "/"),
            Self.isPlainName(String(file.dropFirst(SessionStaging.thumbnailFolder.count + 1))),
            let info = try? FileSystem.info(outbox + "/" + folder + "/" + SessionStaging.thumbnailFolder),
            info.kind == .directory
        else { return nil }
        return read(outbox + "/" + folder + "/" + file)
    }

    /// A reference's preview (`.thumbs/ref-<name>.jpg`), by a name the session's metadata lists; nil otherwise.
    func referenceThumbnail(folder: String, name: String) -> ServedFile? {
        guard Self.isPlainName(name), let session = sessionMetadata(folder), session.references?[name] != nil,
            let info = try? FileSystem.info(outbox + "/" + folder + "/" + SessionStaging.thumbnailFolder),
            info.kind == .directory
        else { return nil }
        return read(outbox + "/" + folder + "/" + SessionStaging.thumbnailFolder + "/ref-" + name + ".jpg")
    }

    /// A quarantined manifest or its report, as text.
    func quarantineFile(_ name: String) -> ServedFile? {
        guard Self.isPlainName(name), let entries = try? FileSystem.list(quarantine),
            entries.contains(where: { $0.name == name })
        else { return nil }
        guard var file = read(quarantine + "/" + name) else { return nil }
        // Whatever it holds, it is shown as text, never interpreted.
        file.contentType = "text/plain; charset=utf-8"
        return file
    }

    func read(_ path: String) -> ServedFile? {
        guard let bytes = try? FileSystem.readRegularFile(path, limit: 256 << 20) else { return nil }
        return ServedFile(bytes: bytes, contentType: Self.contentType(path))
    }

    /// One path segment naming an entry: no separators, no `.`/`..`, no hidden names, no NUL.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0") && !name.contains("\\")
    }

    static func contentType(_ path: String) -> String {
        let lower = path.lowercased()
        if lower.hasSuffix(".png") { return "image/png" }
        if lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") { return "image/jpeg" }
        if lower.hasSuffix(".webp") { return "image/webp" }
        if lower.hasSuffix(".json") { return "application/json" }
        return "application/octet-stream"
    }
}
