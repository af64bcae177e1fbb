import SystemSupport

/// Lists the inbox for the rescan: every accepted name with its lstat facts.
public enum InboxScanner {
    public struct Candidate: Sendable, Equatable {
        public var name: String
        public var info: FileInfo
    }

    /// Candidates in name order. Entries that are not regular files are returned too (with their
    /// kind), so the caller can report them; they are never opened.
    public static func scan(_ inbox: String) throws(SystemError) -> [Candidate] {
        var result: [Candidate] = []
        for entry in try FileSystem.list(inbox) where InboxFilter.accepts(entry.name) {
            // lstat each one: d_type can be unknown (some network filesystems) and links must not be followed.
            guard let info = try? FileSystem.info(inbox + "/" + entry.name) else { continue }
            result.append(Candidate(name: entry.name, info: info))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// The same, through the folder held open (the daemon's own inbox): never through its path.
    public static func scan(_ inbox: DirectoryHandle) throws(SystemError) -> [Candidate] {
        var result: [Candidate] = []
        for entry in try inbox.list() where InboxFilter.accepts(entry.name) {
            guard let info = try? inbox.info(entry.name) else { continue }
            result.append(Candidate(name: entry.name, info: info))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// The modification times of the files waiting in the inbox (folders named *.json left out), for
    /// counts and oldest ages.
    public static func waitingSince(_ inbox: String) throws(SystemError) -> [Double] {
        try scan(inbox).filter { $0.info.kind != .directory }.map(\.info.mtimeSeconds)
    }
}
