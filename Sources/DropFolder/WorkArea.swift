import SystemSupport
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A manifest this instance has claimed: it now lives in our work folder.
public struct ClaimedManifest: Sendable {
    /// The name it was dropped under.
    public var originalName: String
    /// Where it is now.
    public var path: String
}

/// The claim protocol of contract §1. A manifest is claimed by `rename(2)` from the inbox into
/// `work/<instance>/`: only one rename can succeed, so any number of instances (on any number of
/// machines sharing the volume) may watch one inbox. Each instance holds a `flock` on
/// `work/<instance>.lock`; a lock that can be taken belongs to a dead instance, whose claims go back
/// to the inbox.
public final class WorkArea: Sendable {
    public let inbox: String
    public let workRoot: String
    public let instanceID: String
    public let directory: String
    private let lock: FileLock
    private let counter = Atomic<Int>(0)

    /// Separates the claim sequence number from the original name in work/.
    static let separator: Character = "~"

    /// Takes our lock first, then creates our folder: a folder without a lock file is never one
    /// that a live instance is still setting up.
    public init(inbox: String, workRoot: String, instanceID: String) throws(SystemError) {
        self.inbox = inbox
        self.workRoot = workRoot
        self.instanceID = instanceID
        self.directory = workRoot + "/" + instanceID
        try FileSystem.makeDirectories(workRoot)
        guard let lock = try FileLock.tryLock(workRoot + "/" + instanceID + ".lock") else {
            throw SystemError(errno: EAGAIN, call: "flock", paths: [workRoot + "/" + instanceID + ".lock"])
        }
        self.lock = lock
        try FileSystem.makeDirectories(directory)
    }

    /// A fresh instance id: host, pid and a random suffix, safe as a file name.
    public static func makeInstanceID() -> String {
        let host = String(Host.name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "-" }.prefix(40))
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(host)-\(Host.processID)-\(suffix)"
    }

    /// Claims `name` from the inbox; `nil` when it is gone (another instance, or a duplicate event, took it).
    public func claim(_ name: String) throws(SystemError) -> ClaimedManifest? {
        let sequence = counter.add(1, ordering: .relaxed).newValue
        let target = directory + "/" + String(sequence) + String(Self.separator) + name
        do {
            try FileSystem.rename(inbox + "/" + name, target)
        } catch where error.errno == ENOENT {
            return nil
        }
        return ClaimedManifest(originalName: name, path: target)
    }

    /// Returns a claim to the inbox under its own name (or a dated variant if that name was
    /// dropped again meanwhile). Returns the inbox name used.
    @discardableResult
    public func handBack(_ claim: ClaimedManifest) throws(SystemError) -> String {
        try Self.moveBack(claim.path, originalName: claim.originalName, inbox: inbox)
    }

    /// Removes a claim whose session was published (its bytes live on as manifest.json).
    public func release(_ claim: ClaimedManifest) throws(SystemError) {
        try FileSystem.unlinkFile(claim.path)
    }

    /// What the recovery of one dead instance moved back.
    public struct Recovery: Sendable, Equatable {
        public var instanceID: String
        public var returned: [String]
    }

    /// Moves the claims of every dead instance back to the inbox.
    public func recoverDeadInstances() -> [Recovery] {
        guard let entries = try? FileSystem.list(workRoot) else { return [] }
        var recoveries: [Recovery] = []
        for entry in entries where entry.name.hasSuffix(".lock") {
            let id = String(entry.name.dropLast(".lock".count))
            guard id != instanceID else { continue }
            guard let deadLock = try? FileLock.tryLock(workRoot + "/" + entry.name, create: false) else { continue }
            var returned: [String] = []
            let folder = workRoot + "/" + id
            for file in (try? FileSystem.list(folder)) ?? [] {
                let original = Self.originalName(fromWorkName: file.name)
                if let name = try? Self.moveBack(folder + "/" + file.name, originalName: original, inbox: inbox) {
                    returned.append(name)
                }
            }
            // Only forget the instance when its folder is empty: anything we could not move stays for the next try.
            if (try? FileSystem.list(folder))?.isEmpty ?? true {
                try? FileSystem.removeTree(folder)
                try? FileSystem.unlinkFile(deadLock.path)
            }
            deadLock.unlock()
            recoveries.append(Recovery(instanceID: id, returned: returned))
        }
        return recoveries
    }

    /// Whether the instance that owns `id` still runs (its lock is held). Our own id counts as alive.
    public func isInstanceAlive(_ id: String) -> Bool {
        id == instanceID || Self.isAlive(id, workRoot: workRoot)
    }

    /// Leaves no trace of this instance after a clean shutdown (its folder must be empty).
    public func close() {
        if (try? FileSystem.list(directory))?.isEmpty ?? false {
            try? FileSystem.removeTree(directory)
            try? FileSystem.unlinkFile(lock.path)
        }
        lock.unlock()
    }

    /// The claims in our own folder (after a crash of a predecessor with our id this is empty:
    /// ids are unique per start).
    public func claimsInHand() -> [ClaimedManifest] {
        ((try? FileSystem.list(directory)) ?? []).map {
            ClaimedManifest(originalName: Self.originalName(fromWorkName: $0.name), path: directory + "/" + $0.name)
        }
    }

    static func originalName(fromWorkName name: String) -> String {
        guard let cut = name.firstIndex(of: separator) else { return name }
        return String(name[name.index(after: cut)...])
    }

    static func moveBack(_ path: String, originalName: String, inbox: String) throws(SystemError) -> String {
        do {
            try FileSystem.renameNoReplace(path, inbox + "/" + originalName)
            return originalName
        } catch where error.errno == EEXIST {
            let stem = originalName.lowercased().hasSuffix(".json") ? String(originalName.dropLast(5)) : originalName
            let alternative = "\(stem).\(WallClock.compactStamp(WallClock.now())).\(UInt16.random(in: 0...UInt16.max)).json"
            try FileSystem.renameNoReplace(path, inbox + "/" + alternative)
            return alternative
        }
    }
}
