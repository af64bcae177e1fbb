#if canImport(Glibc)
import Glibc
#endif

/// Whether another local process holds a file open for writing, read from /proc. A writer that
/// pauses longer than the settle interval looks finished to the stability gate; this tells the two
/// apart when the writer is on this machine (a remote NFS/SMB writer is invisible here).
package enum OpenFileProbe {
    /// `true` when some other process has `path` open with write access. Processes we may not
    /// inspect are skipped, so `false` means "no writer we can see".
    package static func isOpenForWriting(_ path: String) -> Bool {
        guard let target = try? FileSystem.info(path), target.kind == .regular else { return false }
        let me = String(getpid())
        guard let processes = try? FileSystem.list("/proc") else { return false }
        for process in processes where process.name.first?.isNumber == true && process.name != me {
            guard let fds = try? FileSystem.list("/proc/\(process.name)/fd") else { continue }
            for fd in fds {
                // Compare the open file's identity (device, inode) rather than its path text.
                var st = stat()
                guard stat("/proc/\(process.name)/fd/\(fd.name)", &st) == 0,
                    UInt64(st.st_ino) == target.inode, UInt64(st.st_dev) == target.device
                else { continue }
                if let flags = openFlags(pid: process.name, fd: fd.name), flags & O_ACCMODE != O_RDONLY {
                    return true
                }
            }
        }
        return false
    }

    /// The `flags:` line of /proc/<pid>/fdinfo/<fd> (octal).
    static func openFlags(pid: String, fd: String) -> Int32? {
        guard let bytes = try? FileSystem.readRegularFile("/proc/\(pid)/fdinfo/\(fd)", limit: 64 * 1024) else {
            return nil
        }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("flags:") {
            return Int32(line.dropFirst("flags:".count).trimmingPrefix(while: { $0 == " " || $0 == "\t" }), radix: 8)
        }
        return nil
    }
}
