import SystemSupport

/// Performs the retention policy on disk. Removal renames an item to a hidden trash name first
/// and deletes it afterwards, so a reader never sees half a session; nothing is followed through a
/// symbolic link and nothing outside the given folders is touched.
package struct Cleaner: Sendable {
    package struct Folders: Sendable {
        package var outbox: String
        package var quarantine: String
        package var cache: String

        package init(outbox: String, quarantine: String, cache: String) {
            self.outbox = outbox
            self.quarantine = quarantine
            self.cache = cache
        }
    }

    package let folders: Folders
    package let policy: RetentionPolicy
    /// Whether the instance that owns a staging folder still runs.
    package let isInstanceAlive: @Sendable (String) -> Bool

    package init(folders: Folders, policy: RetentionPolicy, isInstanceAlive: @escaping @Sendable (String) -> Bool) {
        self.folders = folders
        self.policy = policy
        self.isInstanceAlive = isInstanceAlive
    }

    package func run(now: Double, dryRun: Bool) -> CleanupReport {
        var report = CleanupReport(dryRun: dryRun)
        for (item, paths) in gather() {
            switch policy.decide(item, now: now) {
            case .keep(let reason):
                report.kept.append(
                    .init(kind: item.kind, name: item.name, reason: reason, ageSeconds: max(0, now - item.modified))
                )
            case .remove:
                let bytes = paths.reduce(Int64(0)) { $0 + FileSystem.treeSize($1) }
                var removed = CleanupReport.Removed(
                    kind: item.kind,
                    name: item.name,
                    ageSeconds: max(0, now - item.modified),
                    bytes: bytes
                )
                if !dryRun {
                    do {
                        for path in paths { try remove(path) }
                    } catch {
                        report.errors.append(
                            .init(kind: item.kind, name: item.name, reason: error.description, ageSeconds: nil)
                        )
                        continue
                    }
                }
                removed.bytes = bytes
                report.removed.append(removed)
            }
        }
        return report
    }

    /// Every item with the paths that make it up.
    func gather() -> [(RetentionPolicy.Item, [String])] {
        var items: [(RetentionPolicy.Item, [String])] = []
        let outbox = folders.outbox
        for entry in (try? FileSystem.list(outbox)) ?? [] where !entry.name.hasPrefix(".") {
            let path = outbox + "/" + entry.name
            guard let info = try? FileSystem.info(path) else { continue }
            switch info.kind {
            case .directory:
                let marker = try? FileSystem.info(path + "/session.json")
                if let marker, marker.kind == .regular {
                    let pinned = FileSystem.exists(path + "/.keep")
                    items.append(
                        (.init(kind: .session, name: entry.name, modified: marker.mtimeSeconds, pinned: pinned), [path])
                    )
                } else {
                    items.append(
                        (
                            .init(
                                kind: .session,
                                name: entry.name,
                                modified: info.mtimeSeconds,
                                unmanaged: "no session.json: not a SceneDrop session"
                            ), [path]
                        )
                    )
                }
            case .symlink:
                items.append(
                    (
                        .init(
                            kind: .session,
                            name: entry.name,
                            modified: info.mtimeSeconds,
                            unmanaged: "symbolic link: never followed"
                        ), [path]
                    )
                )
            default:
                continue
            }
        }
        let staging = outbox + "/.staging"
        for entry in (try? FileSystem.list(staging)) ?? [] {
            let path = staging + "/" + entry.name
            guard let info = try? FileSystem.info(path) else { continue }
            let busy: Bool
            if entry.name.hasPrefix(".trash-") {
                busy = false
            } else if let owner = SessionStaging.instanceID(ofStagingName: entry.name) {
                busy = isInstanceAlive(owner)
            } else {
                items.append(
                    (
                        .init(
                            kind: .staging,
                            name: entry.name,
                            modified: info.mtimeSeconds,
                            unmanaged: "not a SceneDrop staging name"
                        ), [path]
                    )
                )
                continue
            }
            items.append((.init(kind: .staging, name: entry.name, modified: info.mtimeSeconds, busy: busy), [path]))
        }
        let quarantine = folders.quarantine
        for entry in (try? FileSystem.list(quarantine)) ?? []
        where !entry.name.hasSuffix(".error.json") && !entry.name.hasPrefix(".") {
            let path = quarantine + "/" + entry.name
            guard let info = try? FileSystem.info(path) else { continue }
            let reportInfo = try? FileSystem.info(path + ".error.json")
            var paths = [path]
            if reportInfo != nil { paths.append(path + ".error.json") }
            let since = Quarantine.admittedAt(manifest: info, report: reportInfo)
            items.append((.init(kind: .quarantine, name: entry.name, modified: since), paths))
        }
        gatherCache(folders.cache, relative: "", into: &items)
        return items
    }

    /// An image cache entry and its digest (`<entry>.sha256`, see ImageCache) are one item: they go together.
    /// A digest whose entry is gone is an item of its own.
    private func gatherCache(_ path: String, relative: String, into items: inout [(RetentionPolicy.Item, [String])]) {
        let listing = (try? FileSystem.list(path)) ?? []
        let names = Set(listing.map(\.name))
        for entry in listing {
            if entry.name.hasSuffix(Self.digestSuffix),
                names.contains(String(entry.name.dropLast(Self.digestSuffix.count)))
            {
                continue
            }
            let child = path + "/" + entry.name
            let name = relative.isEmpty ? entry.name : relative + "/" + entry.name
            guard let info = try? FileSystem.info(child) else { continue }
            switch info.kind {
            case .directory: gatherCache(child, relative: name, into: &items)
            case .regular:
                let digest = names.contains(entry.name + Self.digestSuffix) ? [child + Self.digestSuffix] : []
                items.append((.init(kind: .cache, name: name, modified: info.mtimeSeconds), [child] + digest))
            default: continue
            }
        }
    }

    static let digestSuffix = Digest.sidecarSuffix

    /// Rename to a trash name in the same folder (one step, invisible to readers that skip dot
    /// names), then delete without following links.
    private func remove(_ path: String) throws(SystemError) {
        guard let info = try FileSystem.info(path) else { return }
        if info.kind != .directory {
            try FileSystem.unlinkFile(path)
            return
        }
        let trash =
            FileSystem.parentPath(path) + "/.trash-" + FileSystem.baseName(path) + "-"
            + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        if FileSystem.baseName(path).hasPrefix(".trash-") {
            try FileSystem.removeTree(path)
            return
        }
        try FileSystem.rename(path, trash)
        try FileSystem.removeTree(trash)
    }
}

/// What a cleanup did (or, with `--dry-run`, would do). `scenedrop cleanup --json` prints this.
package struct CleanupReport: Codable, Sendable {
    package struct Removed: Codable, Sendable, Equatable {
        package var kind: RetentionPolicy.Kind
        package var name: String
        package var ageSeconds: Double
        package var bytes: Int64

        enum CodingKeys: String, CodingKey {
            case kind, name
            case ageSeconds = "age_seconds"
            case bytes
        }
    }

    package struct Kept: Codable, Sendable, Equatable {
        package var kind: RetentionPolicy.Kind
        package var name: String
        package var reason: String
        package var ageSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case kind, name, reason
            case ageSeconds = "age_seconds"
        }
    }

    package var dryRun: Bool
    package var removed: [Removed] = []
    package var kept: [Kept] = []
    package var errors: [Kept] = []

    package init(dryRun: Bool) {
        self.dryRun = dryRun
    }

    enum CodingKeys: String, CodingKey {
        case dryRun = "dry_run"
        case removed, kept, errors
    }
}
