import Foundation
import SystemSupport

/// Facts about a published session folder, read the way a downstream tool reads it.
public struct PublishedSession {
    public var name: String
    public var path: String
    public var session: [String: Any]

    public var sceneEntries: [[String: Any]] { session["scenes"] as? [[String: Any]] ?? [] }
}

/// Every session folder in the outbox, each checked for completeness: `session.json` present and
/// parsable, and every image and metadata file it lists present. Throws on a partial session.
public func publishedSessions(_ outbox: String) throws -> [PublishedSession] {
    try publishedSessions(outbox, named: listNames(outbox))
}

/// `publishedSessions(_:)` for the named session folders only.
public func publishedSessions(_ outbox: String, named names: [String]) throws -> [PublishedSession] {
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

public struct PartialSession: Error, CustomStringConvertible {
    public var name: String
    public var missing: String
    public var description: String { "session \(name) is partial: \(missing) missing" }
}

public func jsonObject(_ path: String) -> [String: Any]? {
    guard let bytes = readFile(path) else { return nil }
    return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
}

/// Every line of the root's cost ledger (one file per instance in `.scenedrop/ledger/`), parsed.
public func ledgerLines(_ root: String) -> [[String: Any]] {
    let folder = root + "/.scenedrop/ledger"
    return listNames(folder).flatMap { name in
        String(decoding: readFile(folder + "/" + name) ?? [], as: UTF8.self).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }
}
