import Synchronization
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// Which peers are alive, by their leases, and the recovery of the dead ones' claims.
extension WorkArea {
    /// What the recovery of one dead instance moved back, and why it was taken for dead.
    package struct Recovery: Sendable, Equatable {
        package var instanceID: String
        package var returned: [String]
        package var reason: String
    }

    package static func leasePath(_ id: String, workRoot: String) -> String { workRoot + "/" + id + ".lease" }
    static func lockPath(_ id: String, workRoot: String) -> String { workRoot + "/" + id + ".lock" }

    /// Renews our lease (the counter moves on) and makes our folder again if it is gone. Returns true
    /// when the folder had to be made again: a peer took this instance for dead (it was paused, or the
    /// volume was away, for longer than the lease timeout) and may have returned its claims.
    @discardableResult
    package func renewLease() throws(SystemError) -> Bool {
        let count = leaseCounter.add(1, ordering: .relaxed).newValue
        let recreated = !FileSystem.exists(directory)
        if recreated { try FileSystem.makeDirectories(directory) }
        try Lease(instance: instanceID, counter: count, startedAt: startedAt, inboxIdentity: inboxDirectory.identity)
            .write(to: Self.leasePath(instanceID, workRoot: workRoot))
        return recreated
    }

    /// Whether another instance holds a lease or a lock under work/ and may still run: only then can a claim
    /// that vanished from our folder have been taken by a peer.
    package var hasPossiblyLivePeers: Bool {
        peers().contains { Self.isAlive($0, workRoot: workRoot) }
    }

    /// Every other instance with a lease, a lock or a folder under work/.
    func peers() -> Set<String> {
        var ids: Set<String> = []
        for entry in (try? FileSystem.list(workRoot)) ?? [] where !entry.name.hasPrefix(".") {
            for suffix in [".lease", ".lock"] where entry.name.hasSuffix(suffix) {
                ids.insert(String(entry.name.dropLast(suffix.count)))
            }
            if entry.kind == .directory { ids.insert(entry.name) }
        }
        ids.remove(instanceID)
        return ids
    }

    /// One look at a peer: dead at once when its process is gone from this machine; dead when its
    /// lease (or, without one, the lack of one) has stood still for the lease timeout; alive while a
    /// lock it holds says so.
    func verdict(_ id: String) -> LeaseWatch.Verdict {
        let lease = Lease.read(Self.leasePath(id, workRoot: workRoot))
        if let lease, lease.processGoneHere == true {
            return .dead(reason: "its process \(lease.pid) on this machine (\(lease.host)) is gone")
        }
        if Self.holdsLock(id, workRoot: workRoot) {
            watch.withLock { $0.forget(id) }
            return .alive
        }
        let now = clock.now()
        return watch.withLock { $0.observe(id, counter: lease?.counter, now: now) }
    }

    /// Whether a lock under work/ is held by someone (only ever true where locks work: this machine,
    /// or a volume whose locks travel).
    static func holdsLock(_ id: String, workRoot: String) -> Bool {
        guard FileSystem.exists(lockPath(id, workRoot: workRoot)) else { return false }
        guard let probe = try? FileLock.tryLock(lockPath(id, workRoot: workRoot), create: false) else { return true }
        probe.unlock()
        return false
    }

    /// Moves the claims of every dead instance back to the inbox and forgets the instance.
    package func recoverDeadInstances() -> [Recovery] {
        // Nothing goes back into an inbox that is no longer the folder opened at start.
        guard inboxChange() == nil else { return [] }
        let present = peers()
        watch.withLock { $0.retain(only: present) }
        var recoveries: [Recovery] = []
        for id in present.sorted() {
            guard case .dead(let reason) = verdict(id) else { continue }
            var returned: [String] = []
            let folder = workRoot + "/" + id
            for file in (try? FileSystem.list(folder)) ?? [] {
                if let name = try? Self.moveBack(
                    folder + "/" + file.name,
                    originalName: Self.originalName(fromWorkName: file.rawName),
                    into: inboxDirectory
                ) {
                    returned.append(name.text)
                }
            }
            // Only forget the instance when its folder is empty: anything we could not move stays for the next try.
            if (try? FileSystem.list(folder))?.isEmpty ?? true {
                try? FileSystem.removeTree(folder)
                try? FileSystem.unlinkFile(Self.lockPath(id, workRoot: workRoot))
                try? FileSystem.unlinkFile(Self.leasePath(id, workRoot: workRoot))
                watch.withLock { $0.forget(id) }
            }
            recoveries.append(Recovery(instanceID: id, returned: returned, reason: reason))
        }
        return recoveries
    }

    /// Whether the instance `id` may still run, as one look can tell, for commands that run without a
    /// work area of their own (`status`, `cleanup`) and for the staging sweep at start: dead only when
    /// its process is gone from this machine, or it has neither a lease nor a held lock.
    package static func isAlive(_ id: String, workRoot: String) -> Bool {
        if let lease = Lease.read(leasePath(id, workRoot: workRoot)) { return lease.processGoneHere != true }
        return holdsLock(id, workRoot: workRoot)
    }

    /// Whether the instance that owns `id` may still run. Our own id counts as alive.
    package func isInstanceAlive(_ id: String) -> Bool {
        id == instanceID || Self.isAlive(id, workRoot: workRoot)
    }

    /// Leaves no trace of this instance after a clean shutdown when its folder is empty. Claims left in
    /// it keep the lease: a peer on this machine sees the process gone and returns them at once.
    package func close() {
        if (try? FileSystem.list(directory))?.isEmpty ?? false {
            try? FileSystem.removeTree(directory)
            try? FileSystem.unlinkFile(Self.leasePath(instanceID, workRoot: workRoot))
            try? FileSystem.unlinkFile(lock.path)
        }
        lock.unlock()
    }
}
