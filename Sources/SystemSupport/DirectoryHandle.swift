import CSystemShim

#if canImport(Glibc)
import Glibc
#endif

/// A folder held open by descriptor, so that what is done in it stays in it: names are looked up relative to
/// the descriptor (`fstatat`, `renameat`), never through the folder's path. Swap the path for a symbolic link
/// to a folder elsewhere (one `renameat2(RENAME_EXCHANGE)`) and every operation still reaches the folder that
/// was opened, never the other one; `change()` says the path no longer names it.
package final class DirectoryHandle: Sendable {
    package let path: String
    package let descriptor: Int32
    package let device: UInt64
    package let inode: UInt64
    /// The path was a symbolic link already when it was opened (an administrator's choice, followed once).
    package let openedThroughLink: Bool

    /// Opens `path`, following a symbolic link only if the path is one now (then it is said in `openedThroughLink`).
    package init(path: String) throws(SystemError) {
        self.path = path
        let isLink = (try? FileSystem.info(path))?.kind == .symlink
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (isLink ? 0 : O_NOFOLLOW))
        if fd < 0 { throw .current("open", path) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let error = SystemError.current("fstat", path)
            close(fd)
            throw error
        }
        descriptor = fd
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        openedThroughLink = isLink
    }

    deinit { close(descriptor) }

    /// `device:inode` of the folder opened, as `identity(of:)` gives it for a path.
    package var identity: String { "\(device):\(inode)" }

    /// `device:inode` of the folder a path names now (links followed), or nil.
    package static func identity(of path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return "\(st.st_dev):\(st.st_ino)"
    }

    /// Why the path no longer names the folder that was opened (it became a symbolic link, or another folder
    /// stands there, or nothing), for a log line and a readiness check; nil while it still does.
    package func change() -> String? {
        guard let here = try? FileSystem.info(path) else { return "\(path) is gone" }
        if here.kind == .symlink && !openedThroughLink {
            return "\(path) became a symbolic link to \(FileSystem.resolvingLink(path))"
        }
        var st = stat()
        guard stat(path, &st) == 0 else { return "\(path) cannot be looked at (\(String(cString: strerror(errno))))" }
        if UInt64(st.st_dev) != device || UInt64(st.st_ino) != inode {
            return
                "\(path) is another folder than the one opened at start (device:inode \(device):\(inode), now \(st.st_dev):\(st.st_ino))"
        }
        return nil
    }

    /// The entries of the folder, without `.` and `..`.
    package func list() throws(SystemError) -> [FileSystem.Entry] {
        let fd = openat(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw .current("openat", path) }
        return try FileSystem.list(descriptor: fd, path: path)
    }

    /// `lstat` of one name in the folder (links never followed); nil when there is none.
    /// (Names are `RawName`s: an entry whose name is not UTF-8 is reached like any other.)
    package func info(_ name: RawName) throws(SystemError) -> FileInfo? {
        var st = stat()
        if name.withCString({ fstatat(descriptor, $0, &st, AT_SYMLINK_NOFOLLOW) }) != 0 {
            if errno == ENOENT { return nil }
            throw .current("fstatat", path + "/" + name.text)
        }
        return FileInfo(st)
    }

    /// Renames `name` in the folder to the absolute path `target` (replacing nothing that a rename would not).
    package func rename(_ name: RawName, to target: String) throws(SystemError) {
        if name.withCString({ renameat(descriptor, $0, AT_FDCWD, target) }) != 0 {
            throw .current("renameat", path + "/" + name.text, target)
        }
    }

    /// Moves the absolute path `source` into the folder as `name`, never replacing what is there (EEXIST).
    package func moveIn(_ source: String, as name: RawName) throws(SystemError) {
        if name.withCString({ csys_renameat_noreplace(AT_FDCWD, source, descriptor, $0) }) != 0 {
            if FileSystem.isUnsupported(errno) {
                if name.withCString({ linkat(AT_FDCWD, source, descriptor, $0, 0) }) != 0 {
                    throw .current("linkat", source, path + "/" + name.text)
                }
                if Glibc.unlink(source) != 0 { throw .current("unlink", source) }
                return
            }
            throw .current("renameat2", source, path + "/" + name.text)
        }
    }

    /// Creates an empty file `name` in the folder (it must not exist).
    package func createEmpty(_ name: RawName) throws(SystemError) {
        let fd = name.withCString {
            openat(descriptor, $0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o664)
        }
        if fd < 0 { throw .current("openat", path + "/" + name.text) }
        close(fd)
    }

    package func remove(_ name: RawName) throws(SystemError) {
        if name.withCString({ unlinkat(descriptor, $0, 0) }) != 0 { throw .current("unlinkat", path + "/" + name.text) }
    }

    /// The regular file `name` read whole (at most `limit` bytes), with its `fstat` facts: one open, never through a
    /// link, never blocking on a FIFO (`FileSystem.readRegularFile`, through the folder held open).
    package func readRegularFile(
        _ name: RawName,
        limit: Int
    ) throws(FileSystem.ReadError) -> (info: FileInfo, bytes: [UInt8]) {
        let fd = name.withCString { openat(descriptor, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY) }
        if fd < 0 {
            if errno == ELOOP { throw .notRegular(.symlink) }
            throw .system(.current("openat", path + "/" + name.text))
        }
        defer { close(fd) }
        return try FileSystem.readRegular(descriptor: fd, path: path + "/" + name.text, limit: limit)
    }
}
