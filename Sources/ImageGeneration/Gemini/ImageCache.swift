import Imaging
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// Content-addressed images under `.scenedrop/cache/`: the key covers model, enhanced prompt, aspect
/// ratio, image size, output format and target size, so a hit is exactly the image that request would
/// have produced after sizing. A hit makes no request and costs nothing. Entries are written by temp
/// file and rename, so a reader sees a whole entry or none; `scenedrop cleanup --cache-older-than` ages them.
public struct ImageCache: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public struct Key: Sendable, Equatable {
        public var model: String
        public var prompt: String
        public var aspectRatio: String
        public var imageSize: String?
        public var format: OutputFormat
        public var width: Int
        public var height: Int

        public init(model: String, prompt: String, aspectRatio: String, imageSize: String?, format: OutputFormat, width: Int, height: Int) {
            self.model = model
            self.prompt = prompt
            self.aspectRatio = aspectRatio
            self.imageSize = imageSize
            self.format = format
            self.width = width
            self.height = height
        }

        /// A SHA-256 over a length-prefixed encoding, so no two different keys can collide by concatenation.
        public var digest: String {
            let fields = [model, prompt, aspectRatio, imageSize ?? "-", format.rawValue, "\(width)x\(height)"]
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

    /// The cached image, if present and still a valid image of the right size.
    public func lookup(_ key: Key) -> [UInt8]? {
        let file = path(for: key)
        guard let bytes = try? FileSystem.readRegularFile(file, limit: 256 << 20), !bytes.isEmpty,
              (try? ImageInspector.check(bytes, width: key.width, height: key.height)) != nil
        else { return nil }
        // Touch it: cleanup ages cache entries by mtime, so an entry in use stays.
        utimes(file, nil)
        return bytes
    }

    /// Stores an image; failures are ignored (the cache is an optimisation, never a requirement).
    public func store(_ bytes: [UInt8], for key: Key) {
        let file = path(for: key)
        try? FileSystem.makeDirectories(FileSystem.parentPath(file))
        try? FileSystem.writeAtomically(file, bytes: bytes, sync: false)
    }
}
