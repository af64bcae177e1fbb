import CSystemShim

#if canImport(Glibc)
import Glibc
#endif

/// The POSIX file operations SceneDrop relies on, each throwing a `SystemError` that names
/// the call and the paths. Nothing here follows a symbolic link it was not asked to.
package enum FileSystem {
    /// `lstat(2)`; `nil` when the path does not exist.
    package static func info(_ path: String) throws(SystemError) -> FileInfo? {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .current("lstat", path)
        }
        return FileInfo(st)
    }

    /// Why this process cannot create files in the folder `path`, or nil when it can (access(2) with
    /// the real IDs, which is what a daemon runs as).
    package static func writabilityProblem(_ path: String) -> SystemError? {
        access(path, W_OK | X_OK) == 0 ? nil : .current("access", path)
    }

    package static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// One directory entry: its name and, where the filesystem says, its type.
    package struct Entry: Sendable {
        /// The name's bytes, exactly (see `RawName`).
        package var rawName: RawName
        /// The name as text (`RawName.text`): itself when it is UTF-8.
        package var name: String
        package var kind: FileInfo.Kind?
    }

    /// The entries of a directory, without `.` and `..`.
    package static func list(_ path: String) throws(SystemError) -> [Entry] {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { throw .current("open", path) }
        return try list(descriptor: fd, path: path)
    }

    /// The entries of the directory open at `fd`, which this call takes over (and closes); `path` is for errors.
    static func list(descriptor fd: Int32, path: String) throws(SystemError) -> [Entry] {
        guard let dir = fdopendir(fd) else {
            let error = SystemError.current("fdopendir", path)
            close(fd)
            throw error
        }
        defer { closedir(dir) }
        var entries: [Entry] = []
        while let ent = readdir(dir) {
            guard let rawName = entryName(ent) else { continue }
            let kind: FileInfo.Kind?
            switch Int32(ent.pointee.d_type) {
            case Int32(DT_REG): kind = .regular
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .symlink
            case Int32(DT_FIFO): kind = .fifo
            case Int32(DT_SOCK): kind = .socket
            case Int32(DT_CHR), Int32(DT_BLK): kind = .device
            default: kind = nil
            }
            entries.append(Entry(rawName: rawName, name: rawName.text, kind: kind))
        }
        return entries
    }

    /// A directory entry's name, byte for byte; nil for `.` and `..`.
    static func entryName(_ entry: UnsafeMutablePointer<dirent>) -> RawName? {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in RawName(bytes: raw.prefix(while: { $0 != 0 })) }
        return name == "." || name == ".." ? nil : name
    }

    /// Creates a directory and its parents with `mode` (group-writable by default: shared volumes).
    package static func makeDirectories(_ path: String, mode: mode_t = 0o775) throws(SystemError) {
        if let info = try info(path) {
            if info.kind == .directory { return }
            throw SystemError(errno: ENOTDIR, call: "mkdir", paths: [path])
        }
        let parent = parentPath(path)
        if parent != path, !parent.isEmpty { try makeDirectories(parent, mode: mode) }
        if mkdir(path, mode) != 0 {
            if errno == EEXIST { return }
            throw .current("mkdir", path)
        }
        // mkdir honours the umask; shared drop folders need the group bit regardless. The setgid bit a folder
        // inherits from a setgid parent (a shared group's root: root:editors 2775) is kept, so everything made
        // below stays in that group and editors of the group can remove sessions and quarantine entries.
        var made = stat()
        let inherited = stat(path, &made) == 0 ? made.st_mode & S_ISGID : 0
        chmod(path, mode | inherited)
    }

    package static func rename(_ from: String, _ to: String) throws(SystemError) {
        if Glibc.rename(from, to) != 0 { throw .current("rename", from, to) }
    }

    /// Renames without replacing an existing `to` (EEXIST instead).
    package static func renameNoReplace(_ from: String, _ to: String) throws(SystemError) {
        if csys_rename_noreplace(from, to) != 0 {
            // Filesystems without RENAME_NOREPLACE (some network mounts): fall back to link+unlink,
            // which also refuses to replace.
            if isUnsupported(errno) {
                if Glibc.link(from, to) != 0 { throw .current("link", from, to) }
                if unlink(from) != 0 { throw .current("unlink", from) }
                return
            }
            throw .current("renameat2", from, to)
        }
    }

    /// A file's size as the filesystem has it now, past any client attribute cache (NFS, FUSE): what
    /// another host appended shows at once. Nil when the file cannot be asked about.
    package static func freshSize(_ path: String) -> Int64? {
        let size = csys_fresh_size(path)
        return size >= 0 ? Int64(size) : nil
    }

    /// Errors that say a call (a rename flag, a lock) is not supported by this filesystem.
    package static func isUnsupported(_ code: Int32) -> Bool {
        code == EINVAL || code == ENOSYS || code == EOPNOTSUPP || code == ENOTSUP
    }

    /// Swaps two existing paths in one step (renameat2 RENAME_EXCHANGE).
    package static func exchange(_ a: String, _ b: String) throws(SystemError) {
        if csys_rename_exchange(a, b) != 0 { throw .current("renameat2(RENAME_EXCHANGE)", a, b) }
    }

    /// A second name for a file (link(2)); refuses to replace an existing `to` (EEXIST).
    package static func link(_ from: String, _ to: String) throws(SystemError) {
        if Glibc.link(from, to) != 0 { throw .current("link", from, to) }
    }

    package static func unlinkFile(_ path: String) throws(SystemError) {
        if unlink(path) != 0, errno != ENOENT { throw .current("unlink", path) }
    }

    /// Writes `bytes` to a new file (it must not exist), flushes it to disk when `sync`.
    package static func createFile(
        _ path: String,
        bytes: some Collection<UInt8>,
        mode: mode_t = 0o664,
        sync: Bool
    ) throws(SystemError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        if fd < 0 { throw .current("open", path) }
        var failure: SystemError?
        let array = Array(bytes)
        array.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .current("write", path)
                    return
                }
                offset += n
            }
        }
        if failure == nil, sync, fsync(fd) != 0 { failure = .current("fsync", path) }
        if close(fd) != 0, failure == nil { failure = .current("close", path) }
        if let failure {
            unlink(path)
            throw failure
        }
    }

    /// Writes a whole file under a hidden temporary name beside it and renames it into place,
    /// so a reader sees the old file or the new one, never a part.
    package static func writeAtomically(
        _ path: String,
        bytes: some Collection<UInt8>,
        sync: Bool = true
    ) throws(SystemError) {
        let temp = parentPath(path) + "/." + baseName(path) + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        try createFile(temp, bytes: bytes, sync: sync)
        do {
            try rename(temp, path)
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// Flushes a directory's entries (after renames into it).
    package static func syncDirectory(_ path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw .current("open", path) }
        defer { close(fd) }
        if fsync(fd) != 0, errno != EINVAL { throw .current("fsync", path) }
    }

    /// Reads a regular file, refusing links, FIFOs and anything larger than `limit` bytes.
    /// The file is opened non-blocking, so even a FIFO swapped in after a check cannot hang us.
    package static func readRegularFile(_ path: String, limit: Int) throws(ReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            if errno == ELOOP { throw .notRegular(.symlink) }
            throw .system(.current("open", path))
        }
        defer { close(fd) }
        return try readRegular(descriptor: fd, path: path, limit: limit).bytes
    }

    /// The regular file open at `fd` (which stays open), read whole, with its `fstat` facts; `path` is for errors.
    package static func readRegular(
        descriptor fd: Int32,
        path: String,
        limit: Int
    ) throws(ReadError) -> (info: FileInfo, bytes: [UInt8]) {
        var st = stat()
        if fstat(fd, &st) != 0 { throw .system(.current("fstat", path)) }
        let info = FileInfo(st)
        guard info.kind == .regular else { throw .notRegular(info.kind) }
        if info.size > Int64(limit) { throw .tooLarge(size: info.size) }
        var result: [UInt8] = []
        result.reserveCapacity(Int(info.size))
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(.current("read", path))
            }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<n])
            // The file grew after fstat: still never hold more than the limit.
            if result.count > limit { throw .tooLarge(size: Int64(result.count)) }
        }
        return (info, result)
    }

    package enum ReadError: Error, Sendable {
        case system(SystemError)
        case notRegular(FileInfo.Kind)
        case tooLarge(size: Int64)
    }

    /// Removes a tree without following any symbolic link inside it: a link is unlinked, never entered.
    package static func removeTree(_ path: String) throws(SystemError) {
        guard let info = try info(path) else { return }
        if info.kind != .directory {
            try unlinkFile(path)
            return
        }
        let parentFD = open(parentPath(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if parentFD < 0 { throw .current("open", parentPath(path)) }
        defer { close(parentFD) }
        try removeEntry(at: parentFD, name: RawName(baseName(path)), displayPath: path)
    }

    /// By the entries' bytes: a name that is not UTF-8 (a user's file in a session folder) is removed like any other.
    private static func removeEntry(at dirFD: Int32, name: RawName, displayPath: String) throws(SystemError) {
        let fd = name.withCString { openat(dirFD, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        if fd < 0 {
            // Not a directory (or a link to one): unlink the entry itself.
            if errno == ENOTDIR || errno == ELOOP {
                if name.withCString({ unlinkat(dirFD, $0, 0) }) != 0, errno != ENOENT {
                    throw .current("unlink", displayPath)
                }
                return
            }
            if errno == ENOENT { return }
            throw .current("open", displayPath)
        }
        guard let dir = fdopendir(fd) else {
            let error = SystemError.current("fdopendir", displayPath)
            close(fd)
            throw error
        }
        var children: [RawName] = []
        while let ent = readdir(dir) {
            if let child = entryName(ent) { children.append(child) }
        }
        var failure: SystemError?
        for child in children {
            do {
                try removeEntry(at: dirfd(dir), name: child, displayPath: displayPath + "/" + child.text)
            } catch {
                failure = error
                break
            }
        }
        closedir(dir)
        if let failure { throw failure }
        if name.withCString({ unlinkat(dirFD, $0, AT_REMOVEDIR) }) != 0, errno != ENOENT {
            throw .current("rmdir", displayPath)
        }
    }

    /// Total bytes of regular files below a path (links not followed).
    package static func treeSize(_ path: String) -> Int64 {
        guard let info = try? info(path) else { return 0 }
        if info.kind == .regular { return info.size }
        guard info.kind == .directory, let entries = try? list(path) else { return 0 }
        return entries.reduce(0) { $0 + treeSize(path + "/" + $1.name) }
    }

    package static func parentPath(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    package static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// The kind of filesystem a path lives on, for choosing the rescan interval.
    package static func filesystemKind(_ path: String) -> FilesystemKind {
        let type = csys_statfs_type(path)
        return FilesystemKind(statfsType: type)
    }
}

extension FileSystem {
    package static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension FileSystem {
    /// Where a symbolic link points (one level), or the path itself when it is not a link. Only for
    /// files a person names on the command line; nothing in the drop folders is ever followed.
    /// `realpath(3)`: the absolute path with every link resolved; nil when it cannot be resolved.
    package static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    package static func resolvingLink(_ path: String) -> String {
        guard let info = try? info(path), info.kind == .symlink else { return path }
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return path }
        let target = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return target.hasPrefix("/") ? target : parentPath(path) + "/" + target
    }
}
