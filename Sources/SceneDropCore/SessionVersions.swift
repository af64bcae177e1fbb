import Synchronization
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// Which drop of a session is the newest, so that the newest wins. Two files for one session dropped 50 ms
/// apart are processed side by side, and the older one may well finish last (more scenes, a slower model):
/// publishing it then would put the older version in the outbox over the newer. Drops are ordered by claim
/// (`ClaimedManifest.sequence`; a rescan claims the files it found oldest mtime first), and a drop finishing
/// after a newer drop of its session was decoded is not published: it is superseded.
///
/// Only this instance's drops are compared: peers on other hosts each order their own.
final class SessionVersions: Sendable {
    struct Newest: Sendable {
        var sequence: Int
        var file: String
    }

    private struct State {
        /// The newest drop decoded for each session, kept while an older claim may still be in flight.
        var newest: [String: Newest] = [:]
        /// Claims being processed, by sequence.
        var inFlight: Set<Int> = []
        /// Sessions being published right now (one publish of a session at a time; other sessions go on).
        var publishing: Set<String> = []
    }

    private let state = Mutex(State())

    private enum Turn {
        case go
        case superseded(by: String)
        /// Another publish of the session is under way.
        case wait
    }

    /// A claim's processing starts.
    func started(_ sequence: Int) {
        state.withLock { _ = $0.inFlight.insert(sequence) }
    }

    /// A drop of `session` was decoded.
    func decoded(session: String, sequence: Int, file: String) {
        state.withLock { state in
            if (state.newest[session]?.sequence ?? .min) < sequence {
                state.newest[session] = Newest(sequence: sequence, file: file)
            }
        }
    }

    /// Runs `publish` unless a newer drop of `session` is known, and returns `.superseded` then. Publishes of one
    /// session take turns, each checking first: a newer drop cannot publish between an older one's check and its
    /// rename and then be replaced by it. Publishes of other sessions are not held up. On the I/O threads (a turn
    /// waits there, for the other publish's rename and flushes).
    func publishUnlessSuperseded(
        session: String,
        sequence: Int,
        _ publish: () throws(SystemError) -> PublishStep
    ) throws(SystemError) -> PublishStep {
        waiting: while true {
            let turn = state.withLock { state -> Turn in
                if let newest = state.newest[session], newest.sequence > sequence {
                    return .superseded(by: newest.file)
                }
                return state.publishing.insert(session).inserted ? .go : .wait
            }
            switch turn {
            case .go: break waiting
            case .superseded(let newer): return .superseded(by: newer)
            case .wait: usleep(2_000)
            }
        }
        defer { state.withLock { _ = $0.publishing.remove(session) } }
        return try publish()
    }

    /// A claim's processing ended. What no claim still in flight can be older than is forgotten.
    func ended(_ sequence: Int) {
        state.withLock { state in
            state.inFlight.remove(sequence)
            guard let oldest = state.inFlight.min() else {
                state.newest.removeAll()
                return
            }
            if sequence < oldest { state.newest = state.newest.filter { $0.value.sequence > oldest } }
        }
    }

    var trackedSessions: Int { state.withLock { $0.newest.count } }
}
