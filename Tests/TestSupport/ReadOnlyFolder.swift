import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// Whether this process can make a folder read-only even for itself: root ignores permission bits,
/// so as root the folder is bind-mounted read-only onto itself (which needs mount rights); anyone
/// else drops the folder's write bits.
package let canMakeFoldersReadOnly: Bool = {
    guard getuid() == 0 else { return true }
    let probe = "/tmp/scenedrop-ro-probe-\(getpid())"
    mkdir(probe, 0o755)
    defer { rmdir(probe) }
    guard (try? ChildProcess.run("mount", ["--bind", probe, probe])) == 0 else { return false }
    let remounted = (try? ChildProcess.run("mount", ["-o", "remount,bind,ro", probe])) == 0
    _ = try? ChildProcess.run("umount", [probe])
    return remounted
}()

/// Runs `body` while nothing can be created, renamed or removed in `folder` (files in it stay readable).
package func whileReadOnly<T>(_ folder: String, _ body: () async throws -> T) async throws -> T {
    if getuid() == 0 {
        guard try ChildProcess.run("mount", ["--bind", folder, folder]) == 0 else {
            throw ChildProcessError("mount --bind \(folder) failed")
        }
        defer { _ = try? ChildProcess.run("umount", ["-l", folder]) }
        guard try ChildProcess.run("mount", ["-o", "remount,bind,ro", folder]) == 0 else {
            throw ChildProcessError("remounting \(folder) read-only failed")
        }
        return try await body()
    }
    chmod(folder, 0o555)
    defer { chmod(folder, 0o775) }
    return try await body()
}
