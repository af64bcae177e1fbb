#if canImport(Glibc)
import Glibc
#endif

/// A failed system call, with the errno captured at the failure site.
package struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The errno value.
    package var errno: Int32
    /// The call that failed, such as `"rename"`.
    package var call: String
    /// The paths involved, for the message.
    package var paths: [String]

    package init(errno: Int32, call: String, paths: [String] = []) {
        self.errno = errno
        self.call = call
        self.paths = paths
    }

    /// Captures the current errno for `call`.
    package static func current(_ call: String, _ paths: String...) -> SystemError {
        SystemError(errno: Glibc.errno, call: call, paths: paths)
    }

    /// Faults of the machine rather than of a manifest: the work is handed back and retried later.
    package var isTransient: Bool {
        switch errno {
        case ENOSPC, EDQUOT, EACCES, EPERM, EIO, EROFS, ENOMEM, EMFILE, ENFILE, EBUSY, ETXTBSY, EAGAIN, ESTALE:
            return true
        default:
            return false
        }
    }

    /// A short, bounded label (for logs and metrics), e.g. `ENOSPC`.
    package var shortDescription: String {
        switch errno {
        case ENOENT: return "ENOENT"
        case EEXIST: return "EEXIST"
        case ENOSPC: return "ENOSPC"
        case EDQUOT: return "EDQUOT"
        case EACCES: return "EACCES"
        case EPERM: return "EPERM"
        case EIO: return "EIO"
        case EROFS: return "EROFS"
        case EXDEV: return "EXDEV"
        case ENOTDIR: return "ENOTDIR"
        case EISDIR: return "EISDIR"
        case ELOOP: return "ELOOP"
        case ENOTEMPTY: return "ENOTEMPTY"
        case EWOULDBLOCK: return "EWOULDBLOCK"
        default: return "errno-\(errno)"
        }
    }

    package var description: String {
        let reason = String(cString: strerror(errno))
        if paths.isEmpty { return "\(call) failed: \(reason)" }
        return "\(call) \(paths.joined(separator: " -> ")) failed: \(reason)"
    }
}
