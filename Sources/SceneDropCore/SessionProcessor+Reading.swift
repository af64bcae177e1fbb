import DropFolder
import Logging
import SceneManifest
import SystemSupport

/// Reading a claimed manifest, patiently when its writer is not done.
extension SessionProcessor {
    enum ReadFailure: Error {
        case manifest(ManifestError)
        case system(SystemError)
        case cancelled
    }

    /// Reads and decodes; when the JSON ends early (a writer that closed and will reopen, or one that
    /// paused longer than the settle interval), waits until the file is unchanged for `settle` and no
    /// local process still has it open for writing, then reads again before judging it.
    func readAndDecode(_ claim: ClaimedManifest) async -> Result<([UInt8], Manifest), ReadFailure> {
        let path = claim.path
        var lastInfo = await WorkerThreads.io.run { try? FileSystem.info(path) }
        var waited = 0
        // Consecutive looks at which the file was unchanged and no local writer held it open.
        var quietLooks = 0
        while true {
            let read = await WorkerThreads.io.run {
                Result { () throws(FileSystem.ReadError) in
                    try FileSystem.readRegularFile(path, limit: ManifestDecoder.maximumBytes)
                }
            }
            let bytes: [UInt8]
            do {
                bytes = try read.get()
            } catch {
                switch error {
                case .tooLarge(let size): return .failure(.manifest(Self.tooLarge(size)))
                case .notRegular(let kind):
                    return .failure(
                        .manifest(ManifestError(reason: .unsupportedFile, message: Self.unsupportedMessage(kind)))
                    )
                case .system(let e): return .failure(.system(e))
                }
            }
            do {
                return .success((bytes, try ManifestDecoder.decode(bytes, fileName: claim.originalName)))
            } catch {
                // A writer gets up to 600 looks (10 minutes at the default settle) to finish.
                guard error.endedEarly, waited < 600 else { return .failure(.manifest(error)) }
                guard await clock.pause(max(configuration.settle, .milliseconds(100)).seconds) else {
                    return .failure(.cancelled)
                }
                waited += 1
                // The /proc writer probe reads every process's open files: on the I/O threads too.
                let (now, writing) = await WorkerThreads.io.run {
                    (try? FileSystem.info(path), OpenFileProbe.isOpenForWriting(path))
                }
                quietLooks = (now == lastInfo && !writing) ? quietLooks + 1 : 0
                logger.debug(
                    "manifest ended early; waiting for its writer",
                    metadata: [
                        "scenedrop.file": "\(claim.originalName)", "scenedrop.look": "\(waited)",
                        "scenedrop.changed": "\(now != lastInfo)", "scenedrop.open_for_writing": "\(writing)",
                    ]
                )
                // Judged only after two quiet looks in a row, so one unlucky look cannot condemn it.
                if quietLooks >= 2 { return .failure(.manifest(error)) }
                lastInfo = now
            }
        }
    }

    static func tooLarge(_ size: Int64) -> ManifestError {
        ManifestError(
            reason: .tooLarge,
            message:
                "the file is \(size) bytes; a manifest may be at most 1 MiB (1048576 bytes): split the scenes over several manifests"
        )
    }

    static func unsupportedMessage(_ kind: FileInfo.Kind) -> String {
        switch kind {
        case .symlink:
            return
                "is a symbolic link; SceneDrop never follows links in the inbox: copy the manifest itself into the inbox"
        case .fifo: return "is a FIFO (named pipe) and was not opened; drop a regular JSON file"
        case .socket: return "is a socket and was not opened; drop a regular JSON file"
        case .device: return "is a device file and was not opened; drop a regular JSON file"
        default: return "is not a regular file; drop a regular JSON file"
        }
    }
}
