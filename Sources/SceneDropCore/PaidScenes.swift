import ImageGeneration
import Synchronization

/// Scene images this process paid for whose session has not been published yet, by the manifest's SHA-256 and
/// the scene's number. A session handed back after a disk fault (a full outbox, or a full state disk where the
/// image cache cannot be written either) is made again from here when its manifest comes back, byte for byte
/// the same: each image is paid for once. An entry goes when its session is published or quarantined, and the
/// oldest go first past `limitBytes`.
final class PaidScenes: Sendable {
    struct Key: Hashable, Sendable {
        var manifest: String
        var scene: Int
    }

    let limitBytes: Int
    private let state = Mutex<(images: [Key: GeneratedImage], order: [Key], bytes: Int)>(([:], [], 0))

    init(limitBytes: Int = 256 << 20) {
        self.limitBytes = limitBytes
    }

    /// Keeps a paid image (a free one, a placeholder or a cache hit, is not worth the memory).
    func keep(_ image: GeneratedImage, manifest: String, scene: Int) {
        guard image.image.costUSD > 0 else { return }
        let key = Key(manifest: manifest, scene: scene)
        state.withLock { state in
            if let old = state.images.updateValue(image, forKey: key) {
                state.bytes -= old.image.bytes.count
                state.order.removeAll { $0 == key }
            }
            state.order.append(key)
            state.bytes += image.image.bytes.count
            while state.bytes > limitBytes, let oldest = state.order.first {
                state.order.removeFirst()
                if let gone = state.images.removeValue(forKey: oldest) { state.bytes -= gone.image.bytes.count }
            }
        }
    }

    func image(manifest: String, scene: Int) -> GeneratedImage? {
        state.withLock { $0.images[Key(manifest: manifest, scene: scene)] }
    }

    /// The session of this manifest was published or quarantined: its images are not needed again.
    func forget(manifest: String) {
        state.withLock { state in
            let keys = state.order.filter { $0.manifest == manifest }
            for key in keys {
                if let gone = state.images.removeValue(forKey: key) { state.bytes -= gone.image.bytes.count }
            }
            state.order.removeAll { $0.manifest == manifest }
        }
    }

}
