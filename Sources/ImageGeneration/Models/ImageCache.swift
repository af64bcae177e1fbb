import Imaging
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// Content-addressed images under `.scenedrop/cache/`: the key covers model, enhanced prompt, aspect
/// ratio, image size, output format and target size, so a hit is exactly the image that request would
/// have produced after sizing. A hit makes no request and costs nothing. Entries are written by temp
/// file and rename, so a reader sees a whole entry or none; `scenedrop cleanup --cache-older-than` ages them.
///
/// The cache often lives on a shared volume, where another user can replace an entry. Each entry has the
/// SHA-256 of its bytes beside it (`<entry>.sha256`, written when it is stored): an entry whose bytes do not
/// match, or that has no digest, is never used; it is removed and the scene is generated.
package struct ImageCache: Sendable {
    package let directory: String

    package init(directory: String) {
        self.directory = directory
    }

    package struct Key: Sendable, Equatable {
        package var model: String
        package var prompt: String
        package var aspectRatio: String
        package var imageSize: String?
        package var format: OutputFormat
        package var width: Int
        package var height: Int
        /// The SHA-256 of every reference image sent, in order (contract §7): a changed library file is a miss.
        package var references: [String] = []

        package init(
            model: String,
            prompt: String,
            aspectRatio: String,
            imageSize: String?,
            format: OutputFormat,
            width: Int,
            height: Int
        ) {
            self.model = model
            self.prompt = prompt
            self.aspectRatio = aspectRatio
            self.imageSize = imageSize
            self.format = format
            self.width = width
            self.height = height
        }

        /// A SHA-256 over a length-prefixed encoding, so no two different keys can collide by concatenation.
        package var digest: String {
            // Without references the fields (and so every key stored before references existed) are as they were.
            let fields =
                [model, prompt, aspectRatio, imageSize ?? "-", format.rawValue, "\(width)x\(height)"]
                + (references.isEmpty ? [] : ["references"] + references)
            var bytes: [UInt8] = Array("scenedrop-cache-v1".utf8)
            for field in fields {
                let utf8 = Array(field.utf8)
                bytes += Array(String(utf8.count).utf8) + [0x3A] + utf8
            }
            return Digest.sha256Hex(bytes)
        }
    }

    func path(for key: Key) -> String {
        let digest = key.digest
        return directory + "/" + digest.prefix(2) + "/" + digest + "." + key.format.imageFormat.fileExtension
    }

    package enum Lookup: Sendable, Equatable {
        case hit([UInt8])
        case miss
        /// An entry was there and was not used, for this reason; it has been removed.
        case discarded(String)
    }

    /// The cached image, if present, unchanged since it was stored, and still a valid image of the right size.
    package func lookup(_ key: Key) -> Lookup {
        let file = path(for: key)
        guard let bytes = try? FileSystem.readRegularFile(file, limit: 256 << 20) else { return .miss }
        let recorded = (try? FileSystem.readRegularFile(file + Self.digestSuffix, limit: 128)).map {
            String(decoding: $0, as: UTF8.self)
        }
        let reason: String
        if recorded == nil {
            reason = "it has no recorded SHA-256"
        } else if recorded != Digest.sha256Hex(bytes) {
            reason = "its bytes do not match the SHA-256 recorded when it was stored (replaced or damaged)"
        } else if (try? ImageInspector.check(bytes, width: key.width, height: key.height)) == nil {
            reason = "it is not a whole \(key.width)x\(key.height) image"
        } else {
            // Touch both: cleanup ages cache files by mtime, so an entry in use stays, digest and all.
            utimes(file, nil)
            utimes(file + Self.digestSuffix, nil)
            return .hit(bytes)
        }
        try? FileSystem.unlinkFile(file)
        try? FileSystem.unlinkFile(file + Self.digestSuffix)
        return .discarded(reason)
    }

    /// Beside each entry: the hex SHA-256 of its bytes.
    static let digestSuffix = Digest.sidecarSuffix

    /// Stores an image; failures are ignored (the cache is an optimisation, never a requirement). The digest
    /// goes first, so an entry is never there without one.
    package func store(_ bytes: [UInt8], for key: Key) {
        let file = path(for: key)
        try? FileSystem.makeDirectories(FileSystem.parentPath(file))
        guard
            (try? FileSystem.writeAtomically(
                file + Self.digestSuffix,
                bytes: Array(Digest.sha256Hex(bytes).utf8),
                sync: false
            )) != nil
        else {
            return
        }
        try? FileSystem.writeAtomically(file, bytes: bytes, sync: false)
    }
}
