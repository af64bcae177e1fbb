import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// Manifests that could not be processed, each with `<name>.error.json` beside it (contract §5).
package struct Quarantine: Sendable {
    package let directory: String

    package init(directory: String) {
        self.directory = directory
    }

    /// Moves a claimed manifest in with its report. Returns the name it has in quarantine: the dropped
    /// name, or `<stem>.<UTC stamp>.json` when that is taken. `sync: false` (`--no-fsync`) skips flushing
    /// the report to disk.
    ///
    /// The two go together or not at all: the report is written first (to a temporary file, then renamed to
    /// its name without replacing a report that is there), and only then is the manifest moved. Anything that fails (a full disk) leaves the manifest where it was, for the caller to hand back.
    @discardableResult
    package func admit(
        _ path: String,
        originalName: String,
        report: QuarantineReport,
        now: Double,
        sync: Bool = true
    ) throws(SystemError) -> String {
        try FileSystem.makeDirectories(directory)
        // The report's name (`<name>.error.json`) and a dated variant must fit the filesystem's name limit: a
        // name near it is shortened (its start and a hash), the report's `file` says under which name it is kept.
        let fitted = FileName.fitting(
            originalName,
            reserve: ".error.json".utf8.count + ".20261118T110640Z-50".utf8.count
        )
        let stem = fitted.lowercased().hasSuffix(".json") ? String(fitted.dropLast(5)) : fitted
        var candidates = [fitted, "\(stem).\(WallClock.compactStamp(now)).json"]
        for n in 2...50 { candidates.append("\(stem).\(WallClock.compactStamp(now))-\(n).json") }
        for name in candidates {
            let manifest = directory + "/" + name
            let reportPath = manifest + ".error.json"
            guard !FileSystem.exists(reportPath), !FileSystem.exists(manifest) else { continue }
            var final = report
            final.file = name
            let bytes: [UInt8]
            do { bytes = try MetadataCoding.encode(final) } catch { bytes = Array("{}".utf8) }
            let temporary = directory + "/.\(name).error.json.\(UInt32.random(in: 0...UInt32.max)).tmp"
            defer { try? FileSystem.unlinkFile(temporary) }
            try FileSystem.createFile(temporary, bytes: bytes, sync: sync)
            do {
                try FileSystem.renameNoReplace(temporary, reportPath)
            } catch  where error.errno == EEXIST {
                continue
            }
            do {
                try FileSystem.renameNoReplace(path, manifest)
            } catch {
                // Ours, put there just above: the manifest did not follow, so neither stays.
                try? FileSystem.unlinkFile(reportPath)
                if error.errno == EEXIST { continue }
                throw error
            }
            if sync { try? FileSystem.syncDirectory(directory) }
            return name
        }
        throw SystemError(errno: EEXIST, call: "quarantine", paths: [directory + "/" + originalName])
    }

    package struct Entry: Sendable, Equatable {
        package var name: String
        package var report: QuarantineReport?
        package var info: FileInfo
        /// When it was quarantined, in seconds since the epoch: see `admittedAt(manifest:report:)`.
        package var quarantinedSince: Double
    }

    /// When a manifest was quarantined: its report's mtime, which is written at quarantine time. The manifest
    /// itself keeps the mtime it was dropped with, which may be days older; without a report, that is all there is.
    /// `status`, the web view and `cleanup` all age an entry by this one time.
    package static func admittedAt(manifest: FileInfo, report: FileInfo?) -> Double {
        report?.mtimeSeconds ?? manifest.mtimeSeconds
    }

    /// The `limit` most recently quarantined manifests, newest first, and how many there are in all. Only their
    /// reports are read: a quarantine of 20,000 files costs a listing and a `stat` each, not 20,000 reads.
    package func newest(_ limit: Int) -> (entries: [Entry], total: Int) {
        guard let listing = try? FileSystem.list(directory) else { return ([], 0) }
        let names = Set(listing.map(\.name))
        var dated: [(name: String, info: FileInfo, since: Double)] = []
        for entry in listing where !entry.name.hasSuffix(".error.json") && !entry.name.hasPrefix(".") {
            guard let info = try? FileSystem.info(directory + "/" + entry.name) else { continue }
            let report =
                names.contains(entry.name + ".error.json")
                ? try? FileSystem.info(directory + "/" + entry.name + ".error.json") : nil
            dated.append((entry.name, info, Self.admittedAt(manifest: info, report: report)))
        }
        dated.sort { $0.since != $1.since ? $0.since > $1.since : $0.name < $1.name }
        let shown = dated.prefix(max(0, limit)).map { item in
            let bytes = try? FileSystem.readRegularFile(directory + "/" + item.name + ".error.json", limit: 1 << 20)
            let report = bytes.flatMap { try? MetadataCoding.decode(QuarantineReport.self, from: $0) }
            return Entry(name: item.name, report: report, info: item.info, quarantinedSince: item.since)
        }
        return (shown, dated.count)
    }

    /// Quarantined manifests (not their reports), by name.
    package func entries() -> [Entry] {
        guard let listing = try? FileSystem.list(directory) else { return [] }
        return
            listing
            .filter { !$0.name.hasSuffix(".error.json") && !$0.name.hasPrefix(".") }
            .compactMap { entry in
                guard let info = try? FileSystem.info(directory + "/" + entry.name) else { return nil }
                let reportPath = directory + "/" + entry.name + ".error.json"
                let reportBytes = try? FileSystem.readRegularFile(reportPath, limit: 1 << 20)
                let report = reportBytes.flatMap { try? MetadataCoding.decode(QuarantineReport.self, from: $0) }
                let since = Self.admittedAt(manifest: info, report: try? FileSystem.info(reportPath))
                return Entry(name: entry.name, report: report, info: info, quarantinedSince: since)
            }
            .sorted { $0.name < $1.name }
    }

    package struct RequeueError: Error, CustomStringConvertible, Sendable {
        package var name: String
        package var message: String
        /// Nothing of that name is in the quarantine (rather than: it is, and cannot be moved).
        package var isMissing = false
        package var description: String { "\(name): \(message)" }
    }

    /// Moves a quarantined manifest back to the inbox (its report is removed). `name` may omit `.json`.
    @discardableResult
    package func requeue(_ name: String, inbox: String) throws(RequeueError) -> String {
        var file = name
        // A NUL ends the name at the system call: `bad.json\0.txt` would move `bad.json` and orphan its report.
        guard !file.isEmpty, !file.utf8.contains(0) else {
            throw RequeueError(
                name: name,
                message: "is not a file name (it is empty or holds a NUL byte)",
                isMissing: true
            )
        }
        if !FileSystem.exists(directory + "/" + file), FileSystem.exists(directory + "/" + file + ".json") {
            file += ".json"
        }
        guard !file.contains("/"), !file.hasSuffix(".error.json"), !file.hasPrefix("."),
            let info = try? FileSystem.info(directory + "/" + file)
        else {
            throw RequeueError(
                name: name,
                message: "not in the quarantine (\(directory)); `scenedrop status` lists what is there",
                isMissing: true
            )
        }
        guard info.kind == .regular else {
            throw RequeueError(name: name, message: "is not a regular file; it stays in quarantine")
        }
        try? FileSystem.makeDirectories(inbox)
        // Through a link the file would leave the root, to wherever the link points.
        guard (try? FileSystem.info(inbox))?.kind == .directory else {
            throw RequeueError(
                name: name,
                message:
                    "the inbox \(inbox) is not a folder (a symbolic link?): nothing is moved through it; make it a folder again"
            )
        }
        do {
            try FileSystem.renameNoReplace(directory + "/" + file, inbox + "/" + file)
        } catch {
            if error.errno == EEXIST {
                throw RequeueError(
                    name: name,
                    message: "the inbox already holds a file named \(file); move or rename one of them first"
                )
            }
            throw RequeueError(name: name, message: error.description)
        }
        try? FileSystem.unlinkFile(directory + "/" + file + ".error.json")
        return file
    }
}
