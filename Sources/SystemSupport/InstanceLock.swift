#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock(2)` held for as long as the object lives. Another process can test
/// whether the holder is alive by trying the same lock: the kernel frees it when the holder dies.
package final class FileLock: Sendable {
    package let path: String
    private let fd: Int32

    /// Takes the lock without waiting; `nil` when someone else holds it.
    package static func tryLock(_ path: String, create: Bool = true) throws(SystemError) -> FileLock? {
        let flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0)
        let fd = open(path, flags, 0o664)
        if fd < 0 {
            if errno == ENOENT && !create { return nil }
            throw .current("open", path)
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { return nil }
            throw SystemError(errno: code, call: "flock", paths: [path])
        }
        return FileLock(path: path, fd: fd)
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Releases the lock (also released when the process exits, however it exits).
    package func unlock() {
        flock(fd, LOCK_UN)
    }

    deinit {
        close(fd)
    }
}
