import ImageGeneration
import Imaging
import Logging
import Outbox
import SystemSupport

extension SessionProcessor {
    /// The name of a reference's preview in the session's `.thumbs/` (the page's strip of references).
    static func referenceThumbnail(_ name: String) -> String {
        SessionStaging.thumbnailFolder + "/ref-" + name + ".jpg"
    }

    /// A small preview of each of the session's references, made from the fitted image (never the library
    /// file again). Like scene previews, a convenience: one that cannot be made is logged and left out.
    func writeReferenceThumbnails(
        _ references: SessionReferences,
        session: String,
        into staging: SessionStaging,
        logger: Logger
    ) async throws {
        let sync = configuration.sync
        for (name, _) in references.map.entries {
            guard let image = references.images[name] else { continue }
            let bytes = image.image.bytes
            let made = await ProviderPhases.cpuUnlessCancelled(key: session) {
                Result { () throws(ImagingError) in try ImagePreview.make(bytes) }
            }
            switch made {
            case .success(let preview)?:
                let file = Self.referenceThumbnail(name)
                try await WorkerThreads.io.run { () throws(SystemError) in
                    try staging.write(file, preview.jpeg, sync: sync)
                }
            case .failure(let error)?:
                logger.warning(
                    "thumbnail could not be made",
                    metadata: ["scenedrop.image": "reference \(name)", "error.message": "\(error.message)"]
                )
            case nil:
                throw CancellationError()
            }
        }
    }
}
