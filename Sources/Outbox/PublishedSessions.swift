import SystemSupport

/// The sessions published in an outbox: folders (not links, not hidden names) holding a regular
/// `session.json`, whose mtime is when the session was completed. Blocking I/O.
package enum PublishedSessions {
    package static func newestFirst(in outbox: String) -> [(name: String, completed: Double)] {
        var found: [(String, Double)] = []
        for entry in (try? FileSystem.list(outbox)) ?? [] where !entry.name.hasPrefix(".") {
            let path = outbox + "/" + entry.name
            guard let folder = try? FileSystem.info(path), folder.kind == .directory,
                let marker = try? FileSystem.info(path + "/session.json"), marker.kind == .regular
            else { continue }
            found.append((entry.name, marker.mtimeSeconds))
        }
        return found.sorted { $0.1 > $1.1 }
    }
}
