import Foundation
import Synchronization
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// The cost ledger: one JSON line per paid call. Each instance appends only to its own file,
/// `.scenedrop/ledger/<instance>.jsonl`, in one write(2) per line: no two hosts ever append to one file
/// (O_APPEND is not atomic across NFS clients). Today's (UTC) spend is the sum over every file of the
/// folder (and the single `ledger.jsonl` of versions before), kept incrementally: each file is read on
/// from where this instance last read it, only when it grew. Across hosts the budget check is then
/// off by at most the paid requests in flight. Reads and appends run on the I/O threads.
package final class CostLedger: Sendable {
    package struct Entry: Codable, Sendable, Equatable {
        /// The charge's id, the same in the coordinator's table: a line written while the database was
        /// down is added to it once, and only once, when the database is back.
        package var id: String?
        package var time: String
        package var model: String
        package var imageSize: String?
        package var costUSD: Double
        package var session: String
        package var scene: Int
        /// `batch` for an image from the Batch API (at its price); absent for an interactive request.
        package var priority: String?
        /// True on the line that takes back a charge recorded before a request that brought no image.
        package var refund: Bool?
        /// True on a line that corrects a charge (same id) to what the answer reported it used: its
        /// `cost_usd` is the difference.
        package var adjustment: Bool?
        /// True when the request timed out: the API may have done, and billed, the work anyway. The
        /// budget counts it.
        package var possiblyBilled: Bool?

        package init(
            id: String? = nil,
            time: String,
            model: String,
            imageSize: String?,
            costUSD: Double,
            session: String,
            scene: Int,
            priority: String? = nil
        ) {
            self.id = id
            self.priority = priority
            self.time = time
            self.model = model
            self.imageSize = imageSize
            self.costUSD = costUSD
            self.session = session
            self.scene = scene
        }

        enum CodingKeys: String, CodingKey {
            case id, time, model
            case imageSize = "image_size"
            case costUSD = "cost_usd"
            case session, scene, priority, refund, adjustment
            case possiblyBilled = "possibly_billed"
        }
    }

    /// Where this instance appends.
    package let path: String
    /// The files whose lines count towards today's spend (this instance's among them).
    private let files: @Sendable () -> [String]
    /// How far this instance has read each file, and today's total from each up to there.
    private let tally = Mutex(Tally())

    private struct Tally {
        var day = ""
        var files: [String: (offset: Int64, total: Double)] = [:]
        var total: Double { files.values.reduce(0) { $0 + $1.total } }
    }

    /// One instance's ledger in the shared folder `directory` (made when missing).
    package init(directory: String, instance: String) {
        self.path = directory + "/" + instance + ".jsonl"
        self.files = { Self.files(in: directory) }
    }

    /// A ledger of one file, shared with nobody else's (tests, one-off tools).
    package init(path: String) {
        self.path = path
        self.files = { [path] }
    }

    /// The ledger files of a folder, and the single file of versions before per-instance ledgers.
    package static func files(in directory: String) -> [String] {
        let names = ((try? FileSystem.list(directory)) ?? []).map(\.name).filter {
            $0.hasSuffix(".jsonl") && !$0.hasPrefix(".")
        }
        return names.sorted().map { directory + "/" + $0 } + [FileSystem.parentPath(directory) + "/ledger.jsonl"]
    }

    /// A new charge id: unique across hosts without asking anyone.
    package static func newID() -> String { UUID().uuidString.lowercased() }

    /// The UTC day (yyyy-MM-dd) of an entry.
    package static func day(of entry: Entry) -> String { String(entry.time.prefix(10)) }

    /// The UTC day (yyyy-MM-dd) at a wall time: the day a budget is for.
    package static func day(at wall: Double) -> String { String(WallClock.rfc3339(wall).prefix(10)) }

    /// Appends one line: a paid call, or the refund of one. Returns whether the whole line was written; a
    /// line cut short (a full disk) is taken back, so the next line starts on a line of its own.
    ///
    /// A paid request's line is written before the request is sent (see ModelProvider.send): when it
    /// cannot be written, the request is not sent, since its charge could not be recorded.
    @discardableResult
    package func record(_ entry: Entry) async -> Bool {
        await append(entry).written
    }

    /// What an append did: whether the line was written whole, and whether that changed the ledger from
    /// writable to not or back (exactly one of many concurrent appends sees each change, so it is said once).
    package struct Append: Sendable, Equatable {
        package var written: Bool
        package var changed: Bool
    }

    package func append(_ entry: Entry) async -> Append {
        guard var line = try? JSONEncoder().encode(entry) else { return Append(written: false, changed: false) }
        line.append(0x0A)
        let (path, bytes) = (path, [UInt8](line))
        let written = await WorkerThreads.io.run { Self.append(bytes, to: path) }
        let changed = writable.withLock { state in
            defer { state = written }
            return state != written
        }
        return Append(written: written, changed: changed)
    }

    /// Takes back a charge recorded before its request, whose answer had no image: a line of the same id and
    /// the negative cost, so today's sum and the coordinator's reconciliation both net it out.
    @discardableResult
    package func refund(_ entry: Entry) async -> Bool {
        var refund = entry
        refund.costUSD = -entry.costUSD
        refund.refund = true
        return await record(refund)
    }

    /// Settles a charge written before its request at `costUSD`: a line of the same id with the difference
    /// (`adjustment`), when there is one or when the charge is only possibly billed (a timeout), so
    /// today's sum and the coordinator's reconciliation both come to what was used. Nothing otherwise.
    @discardableResult
    package func adjust(_ entry: Entry, to costUSD: Double, possiblyBilled: Bool) async -> Bool {
        let difference = costUSD - entry.costUSD
        guard abs(difference) > 1e-12 || possiblyBilled else { return true }
        var line = entry
        line.costUSD = difference
        line.adjustment = true
        line.possiblyBilled = possiblyBilled ? true : nil
        return await record(line)
    }

    /// Whether the last append went through whole (see `Append.changed`).
    private let writable = Mutex(true)

    static func append(_ bytes: [UInt8], to path: String) -> Bool {
        try? FileSystem.makeDirectories(FileSystem.parentPath(path))
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o664)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var before = stat()
        guard fstat(fd, &before) == 0 else { return false }
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else {
            if n > 0 { _ = ftruncate(fd, before.st_size) }
            return false
        }
        return true
    }

    /// USD spent today (UTC), including what other instances appended.
    package func spentToday(now: Double) async -> Double {
        await WorkerThreads.io.run { self.readSpentToday(now: now) }
    }

    private func readSpentToday(now: Double) -> Double {
        let today = Self.day(at: now)
        let files = self.files()
        return tally.withLock { tally in
            if today != tally.day { tally = Tally(day: today) }
            for file in files {
                var read = tally.files[file] ?? (0, 0)
                // Another host's appends must count at once: the size is asked past the attribute cache.
                guard let size = FileSystem.freshSize(file), size > read.offset,
                    let handle = FileHandle(forReadingAtPath: file)
                else { continue }
                defer { try? handle.close() }
                try? handle.seek(toOffset: UInt64(read.offset))
                let data = (try? handle.readToEnd()) ?? Data()
                // Only whole lines: a line being appended right now is read next time.
                guard let lastNewline = data.lastIndex(of: 0x0A) else { continue }
                let complete = data[data.startIndex...lastNewline]
                read.offset += Int64(complete.count)
                read.total += Self.total(of: complete, on: today)
                tally.files[file] = read
            }
            return tally.total
        }
    }

    /// The sum of `cost_usd` over lines whose `time` falls on `day` (yyyy-MM-dd).
    package static func total(of data: some Collection<UInt8>, on day: String) -> Double {
        var sum = 0.0
        for line in data.split(separator: 0x0A) {
            guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(line)), entry.time.hasPrefix(day) else {
                continue
            }
            sum += entry.costUSD
        }
        return sum
    }

    /// The charges of `days` that carry an id, with the instance whose file they are in (the file name without
    /// `.jsonl`), for the coordinator's reconciliation. Each file is read once. A charge and its refund (the same
    /// id) net out: a refunded charge is left out.
    package static func entries(in directory: String, days: Set<String>) -> [(instance: String, entry: Entry)] {
        files(in: directory).flatMap { file -> [(instance: String, entry: Entry)] in
            guard let data = try? FileSystem.readRegularFile(file, limit: 1 << 30) else { return [] }
            let instance = String(FileSystem.baseName(file).dropLast(".jsonl".count))
            var charges: [(instance: String, entry: Entry)] = []
            var refunded: Set<String> = []
            var adjustments: [String: Entry] = [:]
            for line in data.split(separator: 0x0A) {
                guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(line)), let id = entry.id,
                    days.contains(day(of: entry))
                else { continue }
                if entry.refund == true {
                    refunded.insert(id)
                } else if entry.adjustment == true {
                    var sum = adjustments[id] ?? entry
                    if adjustments[id] != nil { sum.costUSD += entry.costUSD }
                    sum.possiblyBilled = entry.possiblyBilled ?? sum.possiblyBilled
                    adjustments[id] = sum
                } else {
                    charges.append((instance, entry))
                }
            }
            // A charge with its corrections is one charge of what was used.
            return charges.filter { !refunded.contains($0.entry.id ?? "") }.map { charge in
                guard let id = charge.entry.id, let adjustment = adjustments[id] else { return charge }
                var entry = charge.entry
                entry.costUSD += adjustment.costUSD
                entry.possiblyBilled = adjustment.possiblyBilled
                return (charge.instance, entry)
            }
        }
    }

    /// Today's spend read straight from ledger files (for `scenedrop status` and the web view).
    package static func spentToday(files: [String], now: Double) -> Double {
        let day = Self.day(at: now)
        return files.reduce(0) { sum, file in
            sum + ((try? FileSystem.readRegularFile(file, limit: 1 << 30)).map { total(of: $0, on: day) } ?? 0)
        }
    }
}
