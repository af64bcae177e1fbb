import Foundation
import SystemSupport

/// `.scenedrop/retired-models.json`: models whose daily quota is spent and when each returns, so
/// `scenedrop status` (another process) can say it. Written by the daemon when it retires a model;
/// entries whose time has passed are dropped on the next write and ignored on reading.
package struct RetiredModels: Codable, Sendable, Equatable {
    package struct Entry: Codable, Sendable, Equatable {
        package var model: String
        package var reason: String
        /// RFC 3339, UTC.
        package var until: String
        package var untilSeconds: Double

        package init(model: String, reason: String, until: Double) {
            self.model = model
            self.reason = reason
            self.until = WallClock.rfc3339(until)
            self.untilSeconds = until
        }

        enum CodingKeys: String, CodingKey {
            case model, reason, until
            case untilSeconds = "until_seconds"
        }
    }

    package var models: [Entry]

    /// The entries still in force at `now`.
    package static func read(_ path: String, now: Double) -> [Entry] {
        guard let bytes = try? FileSystem.readRegularFile(path, limit: 1 << 20),
            let file = try? JSONDecoder().decode(RetiredModels.self, from: Data(bytes))
        else { return [] }
        return file.models.filter { $0.untilSeconds > now }
    }

    /// Adds (or replaces) `entry`; blocking I/O. A lost race between two instances loses one line
    /// of a status display, never a decision: each daemon keeps its own retirements in memory.
    package static func record(_ entry: Entry, in path: String, now: Double) {
        var models = read(path, now: now).filter { $0.model != entry.model }
        models.append(entry)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(RetiredModels(models: models.sorted { $0.model < $1.model })) else {
            return
        }
        try? FileSystem.writeAtomically(path, bytes: Array(data) + [10], sync: false)
    }
}
