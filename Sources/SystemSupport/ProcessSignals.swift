#if canImport(Glibc)
import Glibc
#endif

/// What the daemon does with the signals that would end it without a word by default.
///
/// - **SIGHUP** (a closed terminal, `systemctl reload` where a unit maps it): ignored. It would kill the daemon
///   at once, leaving its claims in `work/` and a staging folder behind.
/// - **SIGPIPE** (`scenedrop watch 2>&1 | head -1`, once `head` exits): ignored; a log write that fails is
///   dropped (the log handler writes with write(2) and stops at an error), and the daemon goes on.
/// - **SIGUSR1, SIGUSR2, SIGXFSZ**: ignored for the same reason; a write past a file size limit then fails with
///   EFBIG and is handed back like any disk fault.
///
/// SIGTERM and SIGINT stop it gracefully (the service group), SIGQUIT still dumps core for a post-mortem, and
/// SIGKILL leaves claims its peers (or its next start) return to the inbox.
package enum ProcessSignals {
    package static let ignored: [Int32] = [SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2, SIGXFSZ]

    package static func ignoreThoseThatWouldKillSilently() {
        for signal in ignored { _ = Glibc.signal(signal, SIG_IGN) }
    }
}
