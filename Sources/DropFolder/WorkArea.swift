import Synchronization
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// A manifest this instance has claimed: it now lives in our work folder.
package struct ClaimedManifest: Sendable {
    /// The name it was dropped under, byte for byte: a hand-back restores it.
    package var inboxName: RawName
    /// Where it is now.
    package var path: String
    /// This instance's claim count when it was claimed: a later claim has a higher one (how the newest drop of
    /// a session is told from an older one that finishes later).
    package var sequence: Int

    package init(inboxName: RawName, path: String, sequence: Int) {
        self.inboxName = inboxName
        self.path = path
        self.sequence = sequence
    }

    /// The name it was dropped under, as text (`RawName.text`), for the session's `source` and every message.
    package var originalName: String { inboxName.text }
}

/// The claim protocol of contract §1. A manifest is claimed by `rename(2)` from the inbox into
/// `work/<instance>/`: only one rename can succeed, so any number of instances (on any number of
/// machines sharing the volume) may watch one inbox. Each instance keeps a lease, `work/<instance>.lease`
/// (see `Lease`); a peer whose lease stops moving for the lease timeout, or whose process is gone from
/// this very machine, is dead, and its claims go back to the inbox. It also holds a `flock` on
/// `work/<instance>.lock`: where locks work, a held lock proves a peer alive.
package final class WorkArea: Sendable {
    package let inbox: String
    /// The inbox, held open from the start: every claim and hand-back goes through it, never through the
    /// inbox's path, so a path swapped for a link to a folder elsewhere leads nowhere (see `inboxChange()`).
    package let inboxDirectory: DirectoryHandle
    package let workRoot: String
    package let instanceID: String
    package let directory: String
    let lock: FileLock
    private let counter = Atomic<Int>(0)
    /// Seconds a peer's lease may stand still before the peer is taken for dead.
    package let leaseTimeout: Double
    let clock: MonotonicClock
    let watch: Mutex<LeaseWatch>
    let leaseCounter = Atomic<UInt64>(0)
    let startedAt = WallClock.rfc3339(WallClock.now())

    /// Separates the claim sequence number from the original name in work/.
    static let separator: Character = "~"

    /// Takes our lock and writes our lease first, then creates our folder: a folder without a lease
    /// is never one that a live instance is still setting up.
    package init(
        inbox: String,
        workRoot: String,
        instanceID: String,
        leaseTimeout: Double = 60,
        clock: MonotonicClock = .continuous
    ) throws(SystemError) {
        self.inbox = inbox
        try FileSystem.makeDirectories(inbox)
        self.inboxDirectory = try DirectoryHandle(path: inbox)
        self.workRoot = workRoot
        self.instanceID = instanceID
        self.directory = workRoot + "/" + instanceID
        self.leaseTimeout = leaseTimeout
        self.clock = clock
        self.watch = Mutex(LeaseWatch(timeout: leaseTimeout))
        try FileSystem.makeDirectories(workRoot)
        guard let lock = try FileLock.tryLock(workRoot + "/" + instanceID + ".lock") else {
            throw SystemError(errno: EAGAIN, call: "flock", paths: [workRoot + "/" + instanceID + ".lock"])
        }
        self.lock = lock
        try Lease(instance: instanceID, counter: 0, startedAt: startedAt, inboxIdentity: inboxDirectory.identity)
            .write(to: Self.leasePath(instanceID, workRoot: workRoot))
        try FileSystem.makeDirectories(directory)
    }

    /// A fresh instance id: host, pid and a random suffix, safe as a file name.
    package static func makeInstanceID() -> String {
        let host = String(
            Host.name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "-" }.prefix(40)
        )
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(host)-\(Host.processID)-\(suffix)"
    }

    /// Whether a claim can work at all: a hidden file (which intake ignores) made in the inbox and renamed
    /// into our folder, then removed. Returns the rename's EXDEV when the state folder is on another
    /// filesystem (or mount) than the inbox, where no claim could ever succeed. Any other failure (an inbox
    /// this user cannot write to, a full disk) is not this probe's business and returns nil: `process`
    /// reports such files as not claimed, and a disk fault is retried.
    package func probeClaim() -> SystemError? {
        let name = RawName(".scenedrop-claim-probe-" + instanceID)
        guard (try? inboxDirectory.createEmpty(name)) != nil else { return nil }
        let target = directory + "/" + name.text
        defer {
            try? inboxDirectory.remove(name)
            try? FileSystem.unlinkFile(target)
        }
        do {
            try inboxDirectory.rename(name, to: target)
            return nil
        } catch {
            return error.errno == EXDEV ? error : nil
        }
    }

    /// How the inbox's path no longer names the folder opened at start (it became a symbolic link, or another
    /// folder is there); nil while it does. While it does not, nothing is claimed or handed back: the folder
    /// that was opened may now stand outside the root, wherever the swap put it.
    package func inboxChange() -> String? {
        inboxDirectory.change()
    }

    /// The error of a claim or hand-back refused because the inbox changed (`inboxChange()`).
    package static func inboxChanged(_ change: String) -> SystemError {
        SystemError(errno: ESTALE, call: "inbox changed: \(change)", paths: [])
    }

    /// Claims `name` from the inbox; `nil` when it is gone (another instance, or a duplicate event, took it).
    package func claim(_ name: RawName) throws(SystemError) -> ClaimedManifest? {
        if let change = inboxChange() { throw Self.inboxChanged(change) }
        let sequence = counter.add(1, ordering: .relaxed).newValue
        // A name near the filesystem's limit would not fit behind the sequence number: the claim gets a
        // shortened name (the original is kept in memory for the session's `source` and every message; a claim
        // returned after a crash comes back under the shortened name, which fits). A name that is not UTF-8 is
        // claimed under its text (`caf\xE9.json`): everything SceneDrop names is UTF-8.
        let prefix = String(sequence) + String(Self.separator)
        let target = directory + "/" + prefix + FileName.fitting(name.text, reserve: prefix.utf8.count)
        do {
            try inboxDirectory.rename(name, to: target)
        } catch  where error.errno == ENOENT {
            // Our own folder gone (a peer took this instance for dead and tidied up) fails the same
            // way as a file another instance took first: make it again and try once more.
            guard !FileSystem.exists(directory), (try? FileSystem.makeDirectories(directory)) != nil else { return nil }
            do {
                try inboxDirectory.rename(name, to: target)
            } catch  where error.errno == ENOENT {
                return nil
            }
        }
        return ClaimedManifest(inboxName: name, path: target, sequence: sequence)
    }

    /// Returns a claim to the inbox under its own name (or a dated variant if that name was
    /// dropped again meanwhile). Returns the inbox name used.
    @discardableResult
    package func handBack(_ claim: ClaimedManifest) throws(SystemError) -> RawName {
        if let change = inboxChange() { throw Self.inboxChanged(change) }
        return try Self.moveBack(claim.path, originalName: claim.inboxName, into: inboxDirectory)
    }

    /// Removes a claim whose session was published (its bytes live on as manifest.json).
    package func release(_ claim: ClaimedManifest) throws(SystemError) {
        try FileSystem.unlinkFile(claim.path)
    }

    /// The claims in our own folder (after a crash of a predecessor with our id this is empty:
    /// ids are unique per start).
    package func claimsInHand() -> [ClaimedManifest] {
        ((try? FileSystem.list(directory)) ?? []).map {
            ClaimedManifest(
                inboxName: Self.originalName(fromWorkName: $0.rawName),
                path: directory + "/" + $0.name,
                sequence: 0
            )
        }
    }

    static func originalName(fromWorkName name: RawName) -> RawName {
        guard let cut = name.bytes.firstIndex(of: separator.asciiValue!) else { return name }
        return RawName(bytes: name.bytes[(cut + 1)...])
    }

    static func moveBack(
        _ path: String,
        originalName: RawName,
        into inbox: DirectoryHandle
    ) throws(SystemError) -> RawName {
        do {
            try inbox.moveIn(path, as: originalName)
            return originalName
        } catch  where error.errno == EEXIST {
            let text = originalName.text
            let stem = text.lowercased().hasSuffix(".json") ? String(text.dropLast(5)) : text
            let alternative = FileName.fitting(
                "\(stem).\(WallClock.compactStamp(WallClock.now())).\(UInt16.random(in: 0...UInt16.max)).json"
            )
            try inbox.moveIn(path, as: RawName(alternative))
            return RawName(alternative)
        }
    }
}
