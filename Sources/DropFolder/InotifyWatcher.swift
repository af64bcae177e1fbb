import CInotifyTools
import Foundation
import Logging
import Synchronization
import SystemSupport

/// Watches one directory with libinotifytools and reports arrivals as an `AsyncStream`.
///
/// libinotifytools is process-global and not thread-safe (static fd, static buffers), so one
/// dedicated thread makes every library call, copies each event before the next call, and polls
/// with a 1 s timeout (`inotifytools_next_event(0)` would block forever) so a stop is noticed.
/// Overflow is reported as an explicit event, never dropped.
package final class InotifyWatcher: Sendable {
    package struct AlreadyActive: Error, CustomStringConvertible {
        package var description: String {
            "libinotifytools supports one watcher per process, and one is already running"
        }
    }

    /// The library's state is global: only one watcher may run in a process at a time.
    private static let active = Mutex<Bool>(false)

    package let directory: String
    private let stopRequested = Atomic<Bool>(false)
    private let readsHeld = Atomic<Bool>(false)
    private let finished = Mutex<Bool>(false)
    private let logger: Logger

    private init(directory: String, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    /// Starts the watcher thread. Finish the stream (or call `stop()`) to end it.
    package static func start(
        directory: String,
        logger: Logger
    ) throws -> (watcher: InotifyWatcher, events: AsyncStream<WatchEvent>) {
        let claimed = active.withLock { busy -> Bool in
            if busy { return false }
            busy = true
            return true
        }
        guard claimed else { throw AlreadyActive() }
        let watcher = InotifyWatcher(directory: directory, logger: logger)
        let (stream, continuation) = AsyncStream<WatchEvent>.makeStream(bufferingPolicy: .unbounded)
        continuation.onTermination = { [watcher] _ in watcher.stop() }
        let thread = Thread { watcher.run(continuation) }
        thread.name = "scenedrop-inotify"
        thread.start()
        return (watcher, stream)
    }

    /// Asks the thread to stop; it notices within about a second.
    package func stop() {
        stopRequested.store(true, ordering: .releasing)
    }

    /// For tests only: holds the reader thread (to fill the kernel queue past its limit, as a stalled
    /// daemon would).
    package func holdReads(_ hold: Bool) {
        readsHeld.store(hold, ordering: .releasing)
    }

    /// Whether the thread has released the library (tests wait for this before starting another).
    package var isFinished: Bool { finished.withLock { $0 } }

    private var shouldStop: Bool { stopRequested.load(ordering: .acquiring) }

    private func run(_ continuation: AsyncStream<WatchEvent>.Continuation) {
        defer {
            continuation.finish()
            finished.withLock { $0 = true }
            Self.active.withLock { $0 = false }
        }
        guard inotifytools_initialize() == 1 else {
            logger.error("inotify could not start", metadata: ["error.errno": "\(inotifytools_error())"])
            return
        }
        let mask = Int32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
        var watching = false
        var currentWD: Int32 = -1
        var reportedFailure = false

        while !shouldStop {
            if !watching {
                guard let wd = addWatch(mask: mask, reportedFailure: &reportedFailure) else {
                    Thread.sleep(forTimeInterval: 1)
                    continue
                }
                currentWD = wd
                watching = true
                continuation.yield(.watching)
            }
            if readsHeld.load(ordering: .acquiring) {
                Thread.sleep(forTimeInterval: 0.01)
                continue
            }
            guard let raw = inotifytools_next_event(1) else {
                continue  // a timeout (or EINTR): look at the stop flag again
            }
            // Copy out of the library's static buffer before any other call.
            let eventMask = raw.pointee.mask
            let eventWD = raw.pointee.wd
            let name = raw.pointee.len > 0 ? Self.name(of: raw) : RawName(bytes: [])

            if eventMask & UInt32(IN_Q_OVERFLOW) != 0 {
                continuation.yield(.overflow)
                continue
            }
            // Events of an earlier watch (queued before the inbox was re-created) are stale.
            guard eventWD == currentWD else { continue }
            if eventMask & UInt32(IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                if watching {
                    watching = false
                    continuation.yield(.watchLost)
                    guard restartLibrary() else { return }
                }
                continue
            }
            if eventMask & UInt32(IN_ISDIR) == 0, eventMask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO) != 0,
                !name.bytes.isEmpty
            {
                continuation.yield(.arrived(name: name))
            }
        }

        if watching { inotifytools_remove_watch_by_filename(directory) }
        Self.drain()
        inotifytools_cleanup()
    }

    /// Adds the inbox watch; its descriptor, or nil (said once, until a watch is in place again).
    private func addWatch(mask: Int32, reportedFailure: inout Bool) -> Int32? {
        guard inotifytools_watch_file(directory, mask) == 1 else {
            if !reportedFailure {
                // ENOSPC here means the per-user watch limit (fs.inotify.max_user_watches).
                logger.error(
                    "inotify watch could not be added; relying on rescans",
                    metadata: [
                        "scenedrop.path": "\(directory)", "error.errno": "\(inotifytools_error())",
                    ]
                )
                reportedFailure = true
            }
            return nil
        }
        reportedFailure = false
        // The library stores directories with a trailing slash.
        let wd = inotifytools_wd_from_filename(directory + "/")
        return wd >= 0 ? wd : inotifytools_wd_from_filename(directory)
    }

    /// The kernel dropped the watch, but the library keeps a stale path-to-wd entry that no call can
    /// remove: start the library afresh, after draining its buffer. False when it cannot start.
    private func restartLibrary() -> Bool {
        Self.drain()
        inotifytools_cleanup()
        guard inotifytools_initialize() == 1 else {
            logger.error("inotify could not restart", metadata: ["error.errno": "\(inotifytools_error())"])
            return false
        }
        return true
    }

    /// Reads until a call times out. The library keeps unread events in a static buffer that
    /// survives cleanup; a later start in this process must never see them.
    private static func drain() {
        while inotifytools_next_event(1) != nil {}
    }

    /// The name's bytes as the kernel gave them (not UTF-8, perhaps).
    private static func name(of event: UnsafeMutablePointer<inotify_event>) -> RawName {
        let length = Int(event.pointee.len)
        let base = UnsafeMutableRawPointer(event).advanced(by: MemoryLayout<inotify_event>.size)
        let bytes = UnsafeRawBufferPointer(start: base, count: length)
        return RawName(bytes: bytes.prefix(while: { $0 != 0 }))
    }
}
