import Foundation
import Synchronization
import SystemSupport

/// What a batch session sent, written down before it is sent: `.scenedrop/batches/<session>.json`.
/// A daemon that was killed or rebooted reads it and goes on polling the same jobs instead of
/// submitting the session again; `scenedrop status` lists it.
package struct BatchRecord: Codable, Sendable, Equatable {
    package struct Job: Codable, Sendable, Equatable {
        /// Unique per session, content and part: how a job created just before a crash is found again.
        package var displayName: String
        /// `batches/{id}`; nil until the API has answered the create call.
        package var name: String?
        package var scenes: [Int]
        /// The API's last word (`BATCH_STATE_…`), or `SUBMITTING` / `NOT_SUBMITTED` before it has one.
        package var state: String
        package var updatedAt: String

        enum CodingKeys: String, CodingKey {
            case displayName = "display_name"
            case name, scenes, state
            case updatedAt = "updated_at"
        }
    }

    package static let schemaName = "scenedrop.batch/v1"
    package var schema = BatchRecord.schemaName
    package var session: String
    /// The dropped manifest's SHA-256: the same session dropped again with other content replaces the job.
    package var manifestSHA256: String
    package var model: String
    package var imageSize: String?
    package var submittedAt: String
    /// `submittedAt` in seconds since the epoch: the deadline counts from here, across restarts.
    package var submitted: Double
    package var host: String
    package var jobs: [Job]

    package init(
        session: String,
        manifestSHA256: String,
        model: String,
        imageSize: String?,
        submitted: Double,
        jobs: [Job]
    ) {
        self.session = session
        self.manifestSHA256 = manifestSHA256
        self.model = model
        self.imageSize = imageSize
        self.submitted = submitted
        self.submittedAt = WallClock.rfc3339(submitted)
        self.host = Host.name
        self.jobs = jobs
    }

    enum CodingKeys: String, CodingKey {
        case schema, session
        case manifestSHA256 = "manifest_sha256"
        case model
        case imageSize = "image_size"
        case submittedAt = "submitted_at"
        case submitted, host, jobs
    }
}

/// The folder of batch records. Blocking I/O: call it on the I/O threads.
package struct BatchStore: Sendable {
    package let directory: String

    package init(directory: String) {
        self.directory = directory
    }

    func path(_ session: String) -> String { directory + "/" + session + ".json" }

    /// `<session>.finished`: the SHA-256 of the manifest whose batch session ended last (published), written
    /// when its record goes. A waiting drop of other content that finds its record gone was replaced by that
    /// newer drop, which finished first: it must not publish its older content over it.
    func publishedPath(_ session: String) -> String { directory + "/" + session + ".finished" }

    func publishedSHA256(_ session: String) -> String? {
        (try? FileSystem.readRegularFile(publishedPath(session), limit: 256)).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    package func load(_ session: String) -> BatchRecord? {
        guard let bytes = try? FileSystem.readRegularFile(path(session), limit: 4 << 20) else { return nil }
        return try? JSONDecoder().decode(BatchRecord.self, from: Data(bytes))
    }

    /// Record writes of this process, one at a time: a waiting drop's update must not land between
    /// a newer drop's check and its write (it would bring the replaced content back).
    private static let writes = Mutex(())

    /// Writes `record` as the session's, replacing whatever was there (a new drop's record).
    package func save(_ record: BatchRecord) throws(SystemError) {
        try Self.writes.withLock { _ throws(SystemError) in
            try write(record)
            try? FileSystem.unlinkFile(publishedPath(record.session))
        }
    }

    /// Writes `record` only while the session's record is still for its content (or is gone); false,
    /// writing nothing, when a newer drop's record has replaced it.
    package func update(_ record: BatchRecord) throws(SystemError) -> Bool {
        try Self.writes.withLock { _ throws(SystemError) -> Bool in
            if let current = load(record.session), current.manifestSHA256 != record.manifestSHA256 { return false }
            if load(record.session) == nil, let published = publishedSHA256(record.session),
                published != record.manifestSHA256
            {
                return false
            }
            try write(record)
            return true
        }
    }

    /// Whether a newer drop's record replaced `record`, or a drop of other content finished since (its record
    /// gone, its `.finished` left); a record gone otherwise (removed by hand, or by an identical drop that
    /// published first) is written again, since only other content replaces.
    package func isReplaced(_ record: BatchRecord) -> Bool {
        Self.writes.withLock { _ in
            guard let current = load(record.session) else {
                if let published = publishedSHA256(record.session), published != record.manifestSHA256 { return true }
                try? write(record)
                return false
            }
            return current.manifestSHA256 != record.manifestSHA256
        }
    }

    /// Written whole (temp file, fsync, rename): a reader sees the old record or the new one.
    private func write(_ record: BatchRecord) throws(SystemError) {
        try FileSystem.makeDirectories(directory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(record) else { return }
        try FileSystem.writeAtomically(path(record.session), bytes: Array(data) + [10], sync: true)
    }

    /// Forgets the session's record, only if it is still the one for `manifestSHA256` (a newer drop's
    /// record stays).
    package func remove(_ session: String, manifestSHA256: String) {
        Self.writes.withLock { _ in
            guard load(session)?.manifestSHA256 == manifestSHA256 else { return }
            try? FileSystem.writeAtomically(publishedPath(session), bytes: Array(manifestSHA256.utf8), sync: false)
            try? FileSystem.unlinkFile(path(session))
        }
    }

    /// Every record, oldest first (for `scenedrop status`).
    package func all() -> [BatchRecord] {
        let names = (try? FileSystem.list(directory)) ?? []
        return names.filter { $0.name.hasSuffix(".json") && !$0.name.hasPrefix(".") }
            .compactMap { load(String($0.name.dropLast(".json".count))) }
            .sorted { $0.submitted < $1.submitted }
    }
}
