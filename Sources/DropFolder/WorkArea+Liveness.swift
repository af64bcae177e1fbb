import SystemSupport

extension WorkArea {
    /// Whether the instance `id` still holds its lock under `workRoot`, for commands that run without
    /// a work area of their own (`status`) and for the daemon's shutdown check.
    public static func isAlive(_ id: String, workRoot: String) -> Bool {
        guard FileSystem.exists(workRoot + "/" + id + ".lock") else { return false }
        guard let probe = try? FileLock.tryLock(workRoot + "/" + id + ".lock", create: false) else { return true }
        probe.unlock()
        return false
    }
}
