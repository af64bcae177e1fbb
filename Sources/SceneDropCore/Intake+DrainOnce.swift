import DropFolder
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// `scenedrop process`: the first listing fixes what the run takes; the claim stream ends once each
/// of those files is claimed, gone or given up.
extension Intake {
    /// drainOnce: the first listing fixes what this run takes; files dropped later wait for the next one.
    func narrowToWanted(_ candidates: [InboxScanner.Candidate]) -> [InboxScanner.Candidate] {
        let files = candidates.filter { $0.info.kind != .directory }
        guard let wanted else {
            wanted = Set(files.map(\.name))
            return files
        }
        let present = files.filter { wanted.contains($0.name) }
        // Gone meanwhile (another instance took it, or its owner removed it): not ours to report.
        self.wanted = wanted.intersection(present.map(\.name))
        return present
    }

    func giveUpOnChangingFiles(except stable: Set<RawName>) {
        guard var wanted else { return }
        for name in wanted.sorted()
        where !stable.contains(name) && !queued.contains(name) && !inFlightNames.contains(name) {
            summary.skipped.append(
                .init(file: name.text, detail: "still changing after \(Int(patience ?? 0))s; left for the next run")
            )
            wanted.remove(name)
        }
        self.wanted = wanted
    }

    /// drainOnce: every wanted file is claimed, gone or given up, and nothing waits for capacity.
    func finishIfDrained() {
        guard accepting, let wanted, wanted.isEmpty, head >= queue.count else { return }
        drained = true
        stopAccepting()
    }
}

extension Intake {
    /// Why a claim failed, in words that say what to fix.
    static func unclaimable(_ error: SystemError, work: String) -> String {
        switch error.errno {
        case EXDEV:
            return
                "could not be claimed: the inbox and \(work) are on different filesystems (a claim is a rename); left in the inbox"
        case EACCES, EPERM, EROFS:
            return
                "could not be claimed: the inbox is not writable by this user (\(error.shortDescription)); left in the inbox"
        default:
            return "could not be claimed (\(error.description)); left in the inbox"
        }
    }
}
