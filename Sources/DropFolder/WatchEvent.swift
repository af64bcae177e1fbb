import SystemSupport

/// What the inotify thread reports, copied out of the library's static storage.
package enum WatchEvent: Sendable, Equatable {
    /// A file was closed after writing, or renamed into the inbox: a candidate to claim now.
    case arrived(name: RawName)
    /// The kernel queue overflowed: events were lost, rescan at once.
    case overflow
    /// The inbox itself went away or its watch was removed; the watcher re-adds it.
    case watchLost
    /// The watch is (again) in place: anything dropped before now must come from a rescan.
    case watching
}
