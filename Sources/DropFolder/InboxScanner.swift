import SystemSupport

/// Lists the inbox for the rescan: every accepted name with its lstat facts.
package enum InboxScanner {
    package struct Candidate: Sendable, Equatable {
        /// The name's bytes: two spellings of one text (NFC and NFD) are two candidates, and a name that is not
        /// UTF-8 is one too.
        package var name: RawName
        package var info: FileInfo
    }

    /// Candidates in name order. Entries that are not regular files are returned too (with their
    /// kind), so the caller can report them; they are never opened.
    package static func scan(_ inbox: String) throws(SystemError) -> [Candidate] {
        try scan(try DirectoryHandle(path: inbox))
    }

    /// The same, through the folder held open (the daemon's own inbox): never through its path.
    /// lstat each accepted name: d_type can be unknown (some network filesystems) and links must not be followed.
    package static func scan(_ inbox: DirectoryHandle) throws(SystemError) -> [Candidate] {
        try inbox.list().filter { InboxFilter.accepts($0.name) }
            .compactMap { entry in
                (try? inbox.info(entry.rawName)).flatMap { $0 }.map { Candidate(name: entry.rawName, info: $0) }
            }
            .sorted { $0.name < $1.name }
    }

    /// The modification times of the files waiting in the inbox (folders named *.json left out), for
    /// counts and oldest ages.
    package static func waitingSince(_ inbox: String) throws(SystemError) -> [Double] {
        try scan(inbox).filter { $0.info.kind != .directory }.map(\.info.mtimeSeconds)
    }
}
