import DropFolder
import Outbox
import SystemSupport

extension Configuration {
    /// The retention policy on this layout, for the daemon's schedule and `scenedrop cleanup`. With
    /// `sessionsToo: false` only dead instances' staging leftovers are removed. `work` is the running
    /// instance's own work area (its staging is alive); without one, liveness is read from the locks.
    package func cleaner(retention: Duration?, work: WorkArea? = nil, sessionsToo: Bool = true) -> Cleaner {
        let policy =
            sessionsToo
            ? RetentionPolicy(
                sessionMaxAge: retention?.seconds,
                quarantineMaxAge: (quarantineRetention ?? retention)?.seconds,
                cacheMaxAge: cacheRetention.seconds
            )
            : RetentionPolicy(sessionMaxAge: nil, quarantineMaxAge: nil, cacheMaxAge: nil)
        let workRoot = layout.work
        return Cleaner(
            folders: .init(outbox: layout.outbox, quarantine: layout.quarantine, cache: layout.cache),
            policy: policy,
            isInstanceAlive: { id in
                if let work { return work.isInstanceAlive(id) }
                return WorkArea.isAlive(id, workRoot: workRoot)
            }
        )
    }
}
