#if canImport(Glibc)
import Glibc
#endif

/// The descriptor limit. The default soft limit (1,024) is far below what the kernel allows (the hard limit,
/// often 524,288): a daemon that holds inotify watches, claims, images in flight and web connections raises its
/// soft limit to the hard one at start, so one burst of idle connections cannot starve the pipeline of
/// descriptors (the web view also caps its connections well below it).
package enum OpenFileLimit {
    /// Raises the soft limit to the hard limit; returns the soft limit in force afterwards (nil: unknown).
    @discardableResult
    package static func raiseToHardLimit() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }
}
