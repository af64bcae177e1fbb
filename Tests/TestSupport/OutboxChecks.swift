import Foundation
import SystemSupport

/// Facts about a published session folder, read the way a downstream tool reads it.
package struct PublishedSession {
    package var name: String
    package var path: String
    package var session: [String: Any]

    package var sceneEntries: [[String: Any]] { session["scenes"] as? [[String: Any]] ?? [] }
}

/// Every session folder in the outbox, each checked for completeness: `session.json` present and
/// parsable, and every image and metadata file it lists present. Throws on a partial session.
package func publishedSessions(_ outbox: String) throws -> [PublishedSession] {
    try publishedSessions(outbox, named: listNames(outbox))
}

/// `publishedSessions(_:)` for the named session folders only.
package func publishedSessions(_ outbox: String, named names: [String]) throws -> [PublishedSession] {
    var result: [PublishedSession] = []
    for name in names {
        let path = outbox + "/" + name
        guard let bytes = readFile(path + "/session.json"),
            let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        else { throw PartialSession(name: name, missing: "session.json") }
        let published = PublishedSession(name: name, path: path, session: object)
        for scene in published.sceneEntries {
            for key in ["image", "metadata"] {
                guard let file = scene[key] as? String, FileSystem.exists(path + "/" + file) else {
                    throw PartialSession(name: name, missing: "\(key) of scene \(scene["scene_number"] ?? "?")")
                }
            }
            // A listed preview is published with its session, never after it.
            if let thumbnail = scene["thumbnail"] as? [String: Any] {
                guard let file = thumbnail["file"] as? String, FileSystem.exists(path + "/" + file) else {
                    throw PartialSession(name: name, missing: "thumbnail of scene \(scene["scene_number"] ?? "?")")
                }
            }
        }
        guard FileSystem.exists(path + "/manifest.json") else {
            throw PartialSession(name: name, missing: "manifest.json")
        }
        result.append(published)
    }
    return result
}

package struct PartialSession: Error, CustomStringConvertible {
    package var name: String
    package var missing: String
    package var description: String { "session \(name) is partial: \(missing) missing" }
}

package func jsonObject(_ path: String) -> [String: Any]? {
    guard let bytes = readFile(path) else { return nil }
    return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
}

/// Every line of the root's cost ledger (one file per instance in `.scenedrop/ledger/`), parsed.
package func ledgerLines(_ root: String) -> [[String: Any]] {
    let folder = root + "/.scenedrop/ledger"
    return listNames(folder).flatMap { name in
        String(decoding: readFile(folder + "/" + name) ?? [], as: UTF8.self).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }
}
