import Imaging
import SystemSupport

/// Previews for sessions published before previews existed, made on first view and kept in the
/// daemon's cache by the image's SHA-256 (published sessions are never written to: the outbox may
/// be the next stage's inbox, and its sessions are other tools' input).
struct Thumbnailer: Sendable {
    let cacheDirectory: String

    func preview(of image: [UInt8]) async -> [UInt8]? {
        let path = cacheDirectory + "/" + Digest.sha256Hex(image) + ".jpg"
        if let cached = await WorkerThreads.io.run({ try? FileSystem.readRegularFile(path, limit: 16 << 20) }) {
            return cached
        }
        let made = await WorkerThreads.cpu.run { try? ImagePreview.make(image) }
        guard let jpeg = made?.jpeg else { return nil }
        let directory = cacheDirectory
        // A cache: losing it in a crash costs one more render, so no fsync.
        await WorkerThreads.io.run {
            try? FileSystem.makeDirectories(directory)
            try? FileSystem.writeAtomically(path, bytes: jpeg, sync: false)
        }
        return jpeg
    }
}
