import DropFolder
import SystemSupport

extension Intake {
    enum ClaimAttempt: Sendable {
        /// With the file's size when it was taken.
        case claimed(ClaimedManifest, size: Int64)
        /// Another instance took it first, or it went away: theirs to report.
        case gone
        case failed(SystemError)
    }

    /// One claim, on the I/O threads. A folder named *.json is never claimed; anything else (links,
    /// FIFOs) is claimed by rename, which never opens it, and quarantined by the processor.
    static func claim(_ name: String, work: WorkArea) async -> ClaimAttempt {
        await WorkerThreads.io.run { () -> ClaimAttempt in
            guard let info = try? work.inboxDirectory.info(name), info.kind != .directory else { return .gone }
            do throws(SystemError) {
                return try work.claim(name).map { ClaimAttempt.claimed($0, size: info.size) } ?? .gone
            } catch {
                return .failed(error)
            }
        }
    }
}
