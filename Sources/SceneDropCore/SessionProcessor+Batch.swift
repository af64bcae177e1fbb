import DropFolder
import ImageGeneration
import Logging
import Outbox
import SceneManifest
import ServiceLifecycle
import SystemSupport

/// Batch sessions (`"priority": "batch"`, or `--priority batch` for manifests that do not say): the
/// scenes go to the first provider as one deferred job; what it cannot make goes through the chain.
extension SessionProcessor {
    /// The session as a batch, when it asks for one and the first provider can take it.
    ///
    /// Its references go inline with each request. A scene that continues from another is not in it: the image
    /// it continues from is not made yet, so it goes as an interactive request once that image is in.
    func batchSession(_ manifest: Manifest, bytes: [UInt8], references: SessionReferences) -> BatchSession? {
        guard (manifest.priority ?? configuration.priority) == .batch, chain.batchProvider != nil else { return nil }
        let format = configuration.imageFormat
        // A changed library file is other content: its batch is not the one on record.
        let identity =
            references.map.entries.isEmpty
            ? bytes : bytes + Array(references.map.entries.map(\.entry.sha256).joined(separator: ",").utf8)
        return BatchSession(
            session: manifest.session,
            manifestSHA256: Digest.sha256Hex(identity),
            requests: manifest.scenes.filter { $0.continueFrom == nil }.map {
                ImageRequest(manifest: manifest, scene: $0, format: format, references: references.images(for: $0))
            }
        )
    }

    /// Sends the batch and waits for it. The wait gives up the session's slot (a batch may take a
    /// day, and interactive sessions must not queue behind it), and graceful shutdown ends it at once:
    /// the manifest goes back to the inbox, and the next start polls the same jobs again.
    func batchStage(_ batch: BatchSession?, claim: ClaimedManifest) async throws -> BatchOutcome {
        guard let batch, let provider = chain.batchProvider else { return .scenes([:]) }
        await setAside?(claim)
        let (activity, key, phases) = (self.activity, claim.path, ProviderPhases(limiter: limiter))
        return try await cancelWhenGracefulShutdown {
            try await provider.generateBatch(batch, phases: phases) { scene, progress in
                activity.progress(key, scene: scene, progress)
            }
        }
    }

    /// The batch's record is dropped once its session has ended for good.
    func finishBatch(_ batch: BatchSession?) async {
        guard let batch, let provider = chain.batchProvider else { return }
        await provider.batchFinished(batch)
    }

    /// One scene's image: the batch's, or the chain's (after the batch's failure, if there was one).
    func image(
        for request: ImageRequest,
        batched: BatchSceneResult?,
        started: ContinuousClock.Instant,
        logger: Logger,
        progress: @escaping @Sendable (SceneProgress) -> Void
    ) async throws(GenerationError) -> GeneratedImage {
        if case .image(let result)? = batched, let provider = chain.batchProvider {
            return ProviderChain.generated(result, by: provider, started: started)
        }
        if case .failed(let failure, let final)? = batched {
            return try await chain.generate(
                request,
                limiter: limiter,
                logger: logger,
                earlier: (failure, final),
                progress: progress
            )
        }
        return try await chain.generate(request, limiter: limiter, logger: logger, progress: progress)
    }

    /// A newer drop replaced the session's batch (`newerFile` nil), or a newer drop of the session was decoded
    /// before this one could publish (`newerFile` names it): the claim is released (the newer manifest stands for
    /// the session now) and nothing is published.
    func superseded(
        _ claim: ClaimedManifest,
        session: String,
        newerFile: String?,
        logger: Logger
    ) async -> ProcessOutcome {
        let work = self.work
        try? await WorkerThreads.io.run { () throws(SystemError) in try work.release(claim) }
        if let newerFile {
            logger.notice(
                "session drop superseded by a newer drop of the same session; this drop is not published",
                metadata: [
                    "scenedrop.session": "\(session)", "scenedrop.newer_file": "\(newerFile)",
                ]
            )
        } else {
            logger.notice(
                "batch session replaced by a newer drop of the same session; this drop is not published",
                metadata: [
                    "scenedrop.session": "\(session)"
                ]
            )
        }
        return .superseded(session: session)
    }
}
