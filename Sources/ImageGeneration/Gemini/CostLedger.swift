import Foundation
import Synchronization
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// `.scenedrop/ledger.jsonl`: one JSON line per paid call, appended with O_APPEND in one write(2),
/// so several instances on one root can share it. Today's (UTC) spend is kept incrementally: lines
/// other instances append are picked up from where this one last read. Reads and appends run on the
/// I/O threads, never on the cooperative pool.
public final class CostLedger: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var time: String
        public var model: String
        public var imageSize: String?
        public var costUSD: Double
        public var session: String
        public var scene: Int
        /// `batch` for an image from the Batch API (at its price); absent for an interactive request.
        public var priority: String?

        public init(time: String, model: String, imageSize: String?, costUSD: Double, session: String, scene: Int, priority: String? = nil) {
            self.priority = priority
            self.time = time
            self.model = model
            self.imageSize = imageSize
            self.costUSD = costUSD
            self.session = session
            self.scene = scene
        }

        enum CodingKeys: String, CodingKey {
            case time, model
            case imageSize = "image_size"
            case costUSD = "cost_usd"
            case session, scene, priority
        }
    }

    public let path: String
    /// How far this instance has read, and today's total up to there.
    private let tally = Mutex(Tally())

    private struct Tally {
        var offset: Int64 = 0
        var day = ""
        var total = 0.0
    }

    public init(path: String) {
        self.path = path
    }

    /// Appends one paid call.
    public func record(_ entry: Entry) async {
        guard var line = try? JSONEncoder().encode(entry) else { return }
        line.append(0x0A)
        let (path, bytes) = (path, [UInt8](line))
        await WorkerThreads.io.run {
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o664)
            guard fd >= 0 else { return }
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
    }

    /// USD spent today (UTC), including what other instances appended.
    public func spentToday(now: Double) async -> Double {
        await WorkerThreads.io.run { self.readSpentToday(now: now) }
    }

    private func readSpentToday(now: Double) -> Double {
        let today = String(WallClock.rfc3339(now).prefix(10))
        return tally.withLock { tally in
            if today != tally.day {
                tally = Tally(offset: 0, day: today, total: 0)
            }
            guard let info = try? FileSystem.info(path), info.size > tally.offset,
                  let handle = FileHandle(forReadingAtPath: path)
            else { return tally.total }
            defer { try? handle.close() }
            try? handle.seek(toOffset: UInt64(tally.offset))
            let data = (try? handle.readToEnd()) ?? Data()
            // Only whole lines: a line being appended right now is read next time.
            guard let lastNewline = data.lastIndex(of: 0x0A) else { return tally.total }
            let complete = data[data.startIndex...lastNewline]
            tally.offset += Int64(complete.count)
            tally.total += Self.total(of: complete, on: today)
            return tally.total
        }
    }

    /// The sum of `cost_usd` over lines whose `time` falls on `day` (yyyy-MM-dd).
    public static func total(of data: some Collection<UInt8>, on day: String) -> Double {
        var sum = 0.0
        for line in data.split(separator: 0x0A) {
            guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(line)), entry.time.hasPrefix(day) else { continue }
            sum += entry.costUSD
        }
        return sum
    }

    /// Today's spend read straight from a ledger file (for `scenedrop status`).
    public static func spentToday(path: String, now: Double) -> Double {
        guard let bytes = try? FileSystem.readRegularFile(path, limit: 1 << 30) else { return 0 }
        return total(of: bytes, on: String(WallClock.rfc3339(now).prefix(10)))
    }
}
