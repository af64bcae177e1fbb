import DropFolder
import LocatedJSON
import SceneManifest
import SystemSupport

extension Intake {
    enum ClaimAttempt: Sendable {
        /// With the file's size when it was taken.
        case claimed(ClaimedManifest, size: Int64)
        /// Another instance took it first, or it went away: theirs to report.
        case gone
        case failed(SystemError)
    }

    /// The gate's observation of `name` when it is a regular file whose JSON ends early (a writer not done with
    /// it); nil for anything else, which is claimed at once. On the I/O threads.
    static func unfinished(_ name: RawName, work: WorkArea) -> StabilityGate.Observation? {
        // One open and one fstat: anything but a readable regular file within the limit is claimed at once and
        // judged by the processor.
        guard let (info, bytes) = try? work.inboxDirectory.readRegularFile(name, limit: ManifestDecoder.maximumBytes)
        else { return nil }
        do {
            _ = try JSONDocument.parse(bytes)
            return nil
        } catch {
            return error.endedEarly ? StabilityGate.Observation(info) : nil
        }
    }

    /// One claim, on the I/O threads. A folder named *.json is never claimed; anything else (links,
    /// FIFOs) is claimed by rename, which never opens it, and quarantined by the processor.
    static func claim(_ name: RawName, work: WorkArea) async -> ClaimAttempt {
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
