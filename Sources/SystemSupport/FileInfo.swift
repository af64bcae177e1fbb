#if canImport(Glibc)
import Glibc
#endif

/// What `lstat(2)` says about one path. Links are never followed.
package struct FileInfo: Sendable, Equatable {
    package enum Kind: Sendable, Equatable, CustomStringConvertible {
        case regular, directory, symlink, fifo, socket, device, other

        /// For messages: "a regular file", "a symbolic link"…
        package var description: String {
            switch self {
            case .regular: "a regular file"
            case .directory: "a folder"
            case .symlink: "a symbolic link"
            case .fifo: "a FIFO"
            case .socket: "a socket"
            case .device: "a device"
            case .other: "a special file"
            }
        }
    }

    package var kind: Kind
    package var size: Int64
    /// Modification time in nanoseconds since the epoch.
    package var mtimeNanoseconds: Int64
    package var inode: UInt64
    package var device: UInt64

    /// Modification time in seconds since the epoch.
    package var mtimeSeconds: Double { Double(mtimeNanoseconds) / 1e9 }

    init(_ st: stat) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        case S_IFCHR, S_IFBLK: kind = .device
        default: kind = .other
        }
        size = Int64(st.st_size)
        mtimeNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        inode = UInt64(st.st_ino)
        device = UInt64(st.st_dev)
    }
}
