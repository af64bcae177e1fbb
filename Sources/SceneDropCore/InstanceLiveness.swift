import SystemSupport

/// Whether an instance still holds its lock, for commands that run without a work area.
enum InstanceLiveness {
    static func isAlive(_ id: String, workRoot: String) -> Bool {
        guard FileSystem.exists(workRoot + "/" + id + ".lock") else { return false }
        guard let probe = try? FileLock.tryLock(workRoot + "/" + id + ".lock", create: false) else { return true }
        probe.unlock()
        return false
    }
}
