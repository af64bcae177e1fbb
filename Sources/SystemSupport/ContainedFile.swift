import CSystemShim

#if canImport(Glibc)
import Glibc
#endif

/// Reads a file by a relative path inside a folder without ever leaving it: no `..`, no absolute path, and no
/// symbolic link on the way, not even one that points back inside (the reference library, contract §7). A
/// user of a shared volume who can write into the folder must not make the daemon read (and send to an API)
/// a file they could not read themselves.
///
/// On Linux 5.6 and later one `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS` does it in the kernel;
/// elsewhere (or where a seccomp filter refuses the call) each component is opened with `openat` and
/// `O_NOFOLLOW` from the descriptor of the one before. Either way the file is opened non-blocking (a FIFO
/// cannot hang the reader) and must be a regular file once open.
package enum ContainedFile {
    package enum Method: Sendable {
        /// `openat2` where the kernel has it, else the walk.
        case automatic
        case openat2
        case walk
    }

    package enum Failure: Error, Sendable, Equatable {
        /// No such file (or a folder on the way is missing).
        case missing
        /// This component of the path (`characters`, `characters/mika.png`) is a symbolic link.
        case link(String)
        /// This component is not a folder.
        case notFolder(String)
        /// The path holds `..`, `.`, an empty component, or starts with `/`.
        case outside
        case notRegular(FileInfo.Kind)
        case tooLarge(size: Int64)
        /// It is there but cannot be read (permissions, I/O error).
        case unreadable(SystemError)
        /// The folder itself cannot be opened.
        case folder(SystemError)
        /// The folder's own path is a symbolic link, and was not to be followed.
        case folderIsLink
    }

    /// The bytes of `relative` inside `folder`, at most `limit` of them. Nothing below the folder is followed;
    /// the folder's own path is followed when it is a link only with `followFolderLink` (the operator named it).
    package static func read(
        _ relative: String,
        in folder: String,
        limit: Int,
        followFolderLink: Bool = true,
        method: Method = .automatic
    ) throws(Failure) -> [UInt8] {
        let components = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !relative.hasPrefix("/"), !components.isEmpty,
            !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." || $0.utf8.contains(0) })
        else { throw .outside }
        let root = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (followFolderLink ? 0 : O_NOFOLLOW))
        if root < 0 {
            let error = SystemError.current("open", folder)
            if !followFolderLink, (try? FileSystem.info(folder))?.kind == .symlink { throw .folderIsLink }
            throw .folder(error)
        }
        defer { close(root) }
        var fd: Int32 = -1
        if method != .walk {
            fd = csys_openat2_beneath(root, relative, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            let code = errno
            // The walk takes over where the kernel has no openat2 (or a filter refuses it), and where openat2
            // refused a link or a file on the way: the walk names the component, refusing it the same way.
            let walkInstead =
                [ELOOP, EXDEV, ENOTDIR].contains(code)
                || (method == .automatic && [ENOSYS, EPERM, E2BIG].contains(code))
            if fd < 0, !walkInstead { throw failure(code, folder + "/" + relative, component: relative) }
        }
        if fd < 0 { fd = try walk(components, from: root, folder: folder) }
        defer { close(fd) }
        do {
            return try FileSystem.readRegular(descriptor: fd, path: folder + "/" + relative, limit: limit).bytes
        } catch {
            switch error {
            case .notRegular(let kind): throw .notRegular(kind)
            case .tooLarge(let size): throw .tooLarge(size: size)
            case .system(let e): throw .unreadable(e)
            }
        }
    }

    /// Opens each folder of the path from the one before with `O_NOFOLLOW`, then the file, whose descriptor is
    /// the caller's to close.
    static func walk(_ components: [String], from root: Int32, folder: String) throws(Failure) -> Int32 {
        var current = root
        defer { if current != root { close(current) } }
        for (i, component) in components.enumerated() {
            let last = i == components.count - 1
            let flags =
                last ? O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC : O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
            let next = openat(current, component, flags)
            if next < 0 {
                var code = errno
                // O_DIRECTORY | O_NOFOLLOW on a link to a folder says ENOTDIR: look at what it is.
                var st = stat()
                if code == ENOTDIR, fstatat(current, component, &st, AT_SYMLINK_NOFOLLOW) == 0,
                    FileInfo(st).kind == .symlink
                {
                    code = ELOOP
                }
                let walked = components[...i].joined(separator: "/")
                throw failure(code, folder + "/" + walked, component: walked)
            }
            if last { return next }
            if current != root { close(current) }
            current = next
        }
        throw .outside
    }

    static func failure(_ code: Int32, _ path: String, component: String) -> Failure {
        switch code {
        case ENOENT: return .missing
        case ELOOP, EXDEV: return .link(component)
        case ENOTDIR: return .notFolder(component)
        default: return .unreadable(SystemError(errno: code, call: "open", paths: [path]))
        }
    }
}
