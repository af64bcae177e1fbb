import SystemSupport

/// The folders of contract §1, from `--root` and the per-folder overrides.
package struct Layout: Sendable, Equatable {
    package var inbox: String
    package var outbox: String
    package var quarantine: String
    package var state: String
    /// The reference library (contract §7): `<root>/references/`, or `--references`.
    package var references: String
    /// Whether `--references` (or `SCENEDROP_REFERENCES`) named the library: only then is it followed when it
    /// is a symbolic link. Under the root it is a folder anyone who can write the root could swap for a link to
    /// their victim's pictures.
    var referencesNamed: Bool

    /// The reference library as sessions read it.
    var referenceLibrary: SessionReferences.Library {
        SessionReferences.Library(path: references, followLink: referencesNamed)
    }

    package init(
        root: String,
        inbox: String? = nil,
        outbox: String? = nil,
        quarantine: String? = nil,
        state: String? = nil,
        references: String? = nil
    ) {
        let root = Self.absolutePath(root)
        self.inbox = inbox.map(Self.absolutePath) ?? root + "/inbox"
        self.outbox = outbox.map(Self.absolutePath) ?? root + "/outbox"
        self.quarantine = quarantine.map(Self.absolutePath) ?? root + "/quarantine"
        self.state = state.map(Self.absolutePath) ?? root + "/.scenedrop"
        self.references = references.map(Self.absolutePath) ?? root + "/references"
        referencesNamed = references != nil
    }

    package var staging: String { outbox + "/.staging" }
    package var work: String { state + "/work" }
    package var cache: String { state + "/cache" }
    /// Models retired for a spent daily quota, and when they return (`scenedrop status`).
    package var retiredModels: String { state + "/retired-models.json" }
    /// The cost ledger: one file per instance.
    package var ledger: String { state + "/ledger" }
    /// One record per batch session waiting for its jobs.
    package var batches: String { state + "/batches" }

    /// Creates every missing folder with mode 0775 (group-writable, for shared volumes); the reference library
    /// too, so people see where reference images go.
    package func create() throws(SystemError) {
        for path in [inbox, outbox, staging, quarantine, state, work, cache] {
            try FileSystem.makeDirectories(path)
        }
        // Only where nothing stands: a link there is judged when a session reads from it, not at start.
        if (try? FileSystem.info(references)) == nil { try FileSystem.makeDirectories(references) }
    }

    /// An absolute path without trailing slashes, so names join predictably.
    package static func absolutePath(_ path: String) -> String {
        var p = path
        if !p.hasPrefix("/") {
            p = FileSystem.currentDirectory() + "/" + p
        }
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }
}
