import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// A session being built in `outbox/.staging/`. Files are written and flushed here; `publish`
/// moves the whole folder into the outbox in one rename, so readers see all of it or nothing.
package struct SessionStaging: Sendable {
    package enum Outcome: String, Sendable {
        /// A new session folder appeared.
        case created
        /// An existing session of that name was swapped out in one step and removed.
        case replaced
    }

    package let outbox: String
    package let session: String
    package let path: String

    /// Staging folder names start with the instance id, so cleanup can tell a live instance's
    /// work from a dead one's leftovers.
    package init(outbox: String, instanceID: String, session: String) throws(SystemError) {
        self.outbox = outbox
        self.session = session
        let staging = outbox + "/.staging"
        try FileSystem.makeDirectories(staging)
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        path = staging + "/" + instanceID + "~" + session + "~" + token
        try FileSystem.makeDirectories(path)
    }

    /// Writes one file of the session, flushed to disk.
    package func write(_ name: String, _ bytes: some Collection<UInt8>, sync: Bool = true) throws(SystemError) {
        try FileSystem.createFile(path + "/" + name, bytes: bytes, sync: sync)
    }

    /// The hidden folder of previews inside the session, published with it.
    package static let thumbnailFolder = ".thumbs"

    /// Creates `.thumbs/`; previews are then written as `.thumbs/<name>`.
    package func makeThumbnailFolder() throws(SystemError) {
        try FileSystem.makeDirectories(path + "/" + Self.thumbnailFolder)
    }

    /// What stands at the session's place in the outbox that is not a session folder (a regular file, a
    /// symbolic link, a FIFO…), described for a person; nil when the place is free or holds a folder.
    /// Such a thing is never followed, replaced or removed: publishing over it would swap it into staging
    /// (and then delete it), or fail and be retried for ever.
    package func obstruction() -> String? {
        let target = outbox + "/" + session
        guard let info = try? FileSystem.info(target), info.kind != .directory else { return nil }
        return "\(target) is \(info.kind.description), not a session folder"
    }

    /// The `source` of the session now published under this name (the file it was made from), if there is one
    /// and its session.json says.
    package func publishedSource() -> String? {
        guard let bytes = try? FileSystem.readRegularFile(outbox + "/" + session + "/session.json", limit: 16 << 20)
        else { return nil }
        return (try? MetadataCoding.decode(Source.self, from: bytes))?.source
    }

    private struct Source: Decodable {
        var source: String?
    }

    /// Moves the folder into place. A session of the same name is replaced atomically with
    /// `renameat2(RENAME_EXCHANGE)` and the old one removed afterwards. Callers look at `obstruction()`
    /// first; a non-folder that appears in between makes the rename fail with ENOTDIR.
    package func publish(sync: Bool = true) throws(SystemError) -> Outcome {
        let target = outbox + "/" + session
        if sync {
            if FileSystem.exists(path + "/" + Self.thumbnailFolder) {
                try FileSystem.syncDirectory(path + "/" + Self.thumbnailFolder)
            }
            try FileSystem.syncDirectory(path)
        }
        do {
            // rename(2) never replaces a non-empty directory, and a published session is never empty.
            try FileSystem.rename(path, target)
            if sync { try? FileSystem.syncDirectory(outbox) }
            return .created
        } catch  where error.errno == ENOTEMPTY || error.errno == EEXIST {
            // fall through to the exchange
        }
        do {
            try FileSystem.exchange(path, target)
        } catch  where FileSystem.isUnsupported(error.errno) {
            // No RENAME_EXCHANGE here (NFS, FUSE).
            // Second best: move the old one aside first. Readers may briefly see no session, never a partial one.
            let aside =
                outbox + "/.staging/.trash-" + session + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
            try FileSystem.rename(target, aside)
            try FileSystem.rename(path, target)
            try? FileSystem.removeTree(aside)
            return .replaced
        }
        // The old session now sits at our staging path: give it a trash name, then remove it.
        let trash = outbox + "/.staging/.trash-" + session + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        if (try? FileSystem.rename(path, trash)) != nil {
            try? FileSystem.removeTree(trash)
        } else {
            try? FileSystem.removeTree(path)
        }
        if sync { try? FileSystem.syncDirectory(outbox) }
        return .replaced
    }

    /// The fence before a publish: the claimed manifest gets a second name in the session,
    /// `manifest.json` (a hard link, so the claim stays in work/ until the session is published and a
    /// crash in between loses nothing). Only a claim that is still there can be linked: when a peer
    /// took it back (it took this instance for dead), nothing of this session may be published: false.
    /// Where links are refused (another filesystem with `--state-dir`, SMB), the bytes are written and
    /// the claim's presence looked at instead.
    package func fenceManifest(claim: String, bytes: [UInt8], sync: Bool) throws(SystemError) -> Bool {
        let manifest = path + "/manifest.json"
        do {
            try FileSystem.link(claim, manifest)
            return true
        } catch  where error.errno == ENOENT {
            return false
        } catch
            where error.errno == EXDEV || error.errno == EPERM || error.errno == EMLINK
            || FileSystem.isUnsupported(error.errno)
        {
            try write("manifest.json", bytes, sync: sync)
            return FileSystem.exists(claim)
        }
    }

    /// Removes an unpublished staging folder (after a failure or cancellation).
    package func discard() {
        try? FileSystem.removeTree(path)
    }

    /// The instance id a staging folder name begins with, or `nil` for trash and foreign names.
    package static func instanceID(ofStagingName name: String) -> String? {
        guard !name.hasPrefix("."), let cut = name.firstIndex(of: "~") else { return nil }
        return String(name[..<cut])
    }
}
