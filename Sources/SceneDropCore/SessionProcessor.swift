import DropFolder
import ImageGeneration
import Imaging
import Logging
import Outbox
import SceneManifest
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// Turns one claimed manifest into a published session, a quarantine entry, or a hand-back.
/// Never publishes a partial session: everything is staged, and the publish is one rename.
package struct SessionProcessor: Sendable {
    package let configuration: Configuration
    package let work: WorkArea
    package let chain: ProviderChain
    package let limiter: ConcurrencyLimiter
    package let clock: MonotonicClock
    package let logger: Logger
    /// Where each session's and scene's progress is reported (the web view, the metrics).
    let activity: Activity
    /// Called when a session starts waiting for a batch job: it gives up its place among the
    /// sessions in flight (`--max-sessions`).
    var setAside: (@Sendable (ClaimedManifest) async -> Void)?
    /// Paid images of sessions not yet published, so a hand-back does not pay for them again.
    let paidScenes: PaidScenes
    /// The newest drop of each session, so an older one that finishes later is not published over it.
    let versions = SessionVersions()

    init(
        configuration: Configuration,
        work: WorkArea,
        chain: ProviderChain,
        limiter: ConcurrencyLimiter,
        clock: MonotonicClock = .continuous,
        activity: Activity = Activity(),
        paidScenes: PaidScenes = PaidScenes(),
        logger: Logger
    ) {
        self.paidScenes = paidScenes
        self.activity = activity
        self.configuration = configuration
        self.work = work
        self.chain = chain
        self.limiter = limiter
        self.clock = clock
        self.logger = logger
    }

    var layout: Layout { configuration.layout }

    package func process(_ claim: ClaimedManifest, receivedAt: Double) async -> ProcessOutcome {
        var logger = logger
        logger[metadataKey: "scenedrop.file"] = "\(claim.originalName)"

        // 1. What is it? lstat only: a FIFO, socket or link is never opened.
        let path = claim.path
        let info: FileInfo
        do {
            guard let found = try await WorkerThreads.io.run({ () throws(SystemError) in try FileSystem.info(path) })
            else {
                return await claimLost(claim, session: nil, logger: logger)
            }
            info = found
        } catch {
            return await handBack(claim, error: error, logger: logger)
        }
        if info.kind != .regular {
            return await quarantine(
                claim,
                ManifestError(reason: .unsupportedFile, message: Self.unsupportedMessage(info.kind)),
                logger: logger
            )
        }
        if info.size > Int64(ManifestDecoder.maximumBytes) {
            return await quarantine(claim, Self.tooLarge(info.size), logger: logger)
        }

        // 2. Read and decode; a file that ends early is read again once it has settled.
        let bytes: [UInt8]
        let manifest: Manifest
        switch await readAndDecode(claim) {
        case .success(let pair): (bytes, manifest) = pair
        case .failure(.manifest(let error)): return await quarantine(claim, error, logger: logger)
        case .failure(.system(let error)): return await handBack(claim, error: error, logger: logger)
        case .failure(.cancelled): return await cancelled(claim, logger: logger)
        }
        logger[metadataKey: "scenedrop.session"] = "\(manifest.session)"
        versions.decoded(session: manifest.session, sequence: claim.sequence, file: claim.originalName)
        if Task.isCancelled { return await cancelled(claim, logger: logger) }
        activity.started(
            claim.path,
            session: manifest.session,
            file: claim.originalName,
            scenes: manifest.scenes.map(\.sceneNumber)
        )

        // 3. The references: every file of the library read and checked before anything is sent.
        if let error = ReferenceCheck.error(manifest, catalog: chain.catalog) {
            return await quarantine(claim, error, logger: logger)
        }
        var references = SessionReferences()
        if !manifest.references.isEmpty {
            switch await SessionReferences.load(
                manifest,
                library: layout.referenceLibrary,
                session: manifest.session,
                logger: logger
            ) {
            case nil: return await cancelled(claim, logger: logger)
            case .failure(let error): return await quarantine(claim, error, logger: logger)
            case .success(let loaded): references = loaded
            }
            if let error = references.oversized(manifest) { return await quarantine(claim, error, logger: logger) }
        }

        // 4. Generate into staging, then publish in one step.
        let (outbox, instanceID, session) = (layout.outbox, work.instanceID, manifest.session)
        let staging: SessionStaging
        do {
            staging = try await WorkerThreads.io.run { () throws(SystemError) in
                try SessionStaging(outbox: outbox, instanceID: instanceID, session: session)
            }
        } catch {
            return await handBack(claim, error: error, logger: logger)
        }
        do {
            switch try await generateAndPublish(
                manifest,
                bytes: bytes,
                references: references,
                claim: claim,
                receivedAt: receivedAt,
                into: staging,
                logger: logger
            ) {
            case .published(let result): return result
            case .rejected(let error): return await quarantine(claim, error, logger: logger)
            case .superseded(let newer):
                return await superseded(claim, session: manifest.session, newerFile: newer, logger: logger)
            }
        } catch {
            await discard(staging)
            return await ending(claim, manifest: manifest, failure: error, logger: logger)
        }
    }

    /// How a session whose generation or publish threw ends; each case decided explicitly.
    func ending(
        _ claim: ClaimedManifest,
        manifest: Manifest,
        failure: any Error,
        logger: Logger
    ) async -> ProcessOutcome {
        switch failure {
        case let error as SystemError:
            // The machine's fault (disk full, permissions): back to the inbox, retried with backoff.
            return await handBack(claim, error: error, logger: logger)
        case let error as GenerationError where error.code == .cancelled:
            return await cancelled(claim, logger: logger)
        case is CancellationError:
            return await cancelled(claim, logger: logger)
        case let error as SceneGenerationError:
            // The placeholder failed its tries: the same manifest would fail the same way again, so it
            // ends in quarantine instead of being handed back forever.
            let index = manifest.scenes.firstIndex { $0.sceneNumber == error.sceneNumber } ?? 0
            return await quarantine(
                claim,
                ManifestError(
                    reason: .processingFailed,
                    message:
                        "scene \(error.sceneNumber) could not be rendered, not even as a placeholder: \(error.underlying.message)",
                    issues: [
                        ManifestIssue(
                            path: "scenes[\(index)]",
                            message: "could not be rendered: \(error.underlying.message)"
                        )
                    ]
                ),
                logger: logger
            )
        default:
            // Encoding the metadata failed: a bug, and deterministic, so quarantine with what it said.
            return await quarantine(
                claim,
                ManifestError(
                    reason: .processingFailed,
                    message: "the session's metadata could not be written: \(failure)"
                ),
                logger: logger
            )
        }
    }

    enum GenerationOutcome {
        case published(ProcessOutcome)
        /// `--strict` and a scene fell back: the session is not published.
        case rejected(ManifestError)
        /// A newer drop of the session replaced its batch (`nil`), or was decoded before this one could publish
        /// (its file's name): nothing is published.
        case superseded(String?)
    }

    /// Generates every scene into `staging`, then writes the manifest and session.json and publishes.
    func generateAndPublish(
        _ manifest: Manifest,
        bytes: [UInt8],
        references: SessionReferences = SessionReferences(),
        claim: ClaimedManifest,
        receivedAt: Double,
        into staging: SessionStaging,
        logger: Logger
    ) async throws -> GenerationOutcome {
        let started = WallClock.now()
        let startedOnClock = clock.now()
        let batch = batchSession(manifest, bytes: bytes, references: references)
        let batched: [Int: BatchSceneResult]
        switch try await batchStage(batch, claim: claim) {
        case .superseded:
            await discard(staging)
            return .superseded(nil)
        case .scenes(let results):
            batched = results
        }
        let paidKey = Digest.sha256Hex(bytes)
        let (scenes, sceneWarnings) = try await generateScenes(
            manifest,
            key: claim.path,
            paidKey: paidKey,
            references: references,
            batched: batched,
            into: staging,
            logger: logger
        )
        try await writeReferenceThumbnails(references, session: manifest.session, into: staging, logger: logger)
        if configuration.strict, let error = Self.strictRejection(manifest, scenes) {
            paidScenes.forget(manifest: paidKey)
            await discard(staging)
            await finishBatch(batch)
            return .rejected(error)
        }
        let session = SessionMetadata(
            session: manifest.session,
            source: claim.originalName,
            receivedAt: WallClock.rfc3339(receivedAt),
            startedAt: WallClock.rfc3339(started),
            finishedAt: WallClock.rfc3339(WallClock.now()),
            durationMS: Int(((clock.now() - startedOnClock) * 1000).rounded()),
            quality: manifest.quality.rawValue,
            aspectRatio: manifest.aspectRatio.description,
            width: manifest.width,
            height: manifest.height,
            scenes: scenes,
            warnings: manifest.warnings.map {
                Issue(path: $0.path, message: $0.message, line: $0.line, column: $0.column)
            } + sceneWarnings,
            host: Host.name,
            version: SceneDropVersion.current,
            references: references.map
        )
        let sessionBytes = try MetadataCoding.encode(session)
        try Task.checkCancellation()
        // One trip to the I/O threads for the rest: session.json, the fence (the claim linked in as
        // manifest.json: a claim a peer took back cannot be), the publish rename, the claim's release.
        let (work, sync, versions) = (self.work, configuration.sync, self.versions)
        let step = try await WorkerThreads.io.run { () throws(SystemError) -> PublishStep in
            try staging.write("session.json", sessionBytes, sync: sync)
            guard try staging.fenceManifest(claim: claim.path, bytes: bytes, sync: sync) else { return .claimLost }
            if let obstruction = staging.obstruction() { return .blocked(obstruction) }
            let step = try versions.publishUnlessSuperseded(session: manifest.session, sequence: claim.sequence) {
                () throws(SystemError) in
                // Whose session this publish replaces, if any: a drop of another file is said in the log.
                let previous = staging.publishedSource()
                do throws(SystemError) {
                    return .published(try staging.publish(sync: sync), previousSource: previous)
                } catch  where error.errno == ENOTDIR {
                    return .blocked(
                        staging.obstruction() ?? "\(staging.outbox)/\(staging.session) is not a session folder"
                    )
                }
            }
            if case .published = step { try? work.release(claim) }
            return step
        }
        let published: SessionStaging.Outcome
        switch step {
        case .superseded(let newer):
            paidScenes.forget(manifest: paidKey)
            await discard(staging)
            await finishBatch(batch)
            return .superseded(newer)
        case .claimLost:
            await discard(staging)
            return .published(await claimLost(claim, session: manifest.session, logger: logger))
        case .blocked(let obstruction):
            // Retrying cannot help until a person moves it: quarantined, naming what is in the way.
            paidScenes.forget(manifest: paidKey)
            await discard(staging)
            await finishBatch(batch)
            return .rejected(
                ManifestError(
                    reason: .outboxConflict,
                    message:
                        "cannot publish session \(manifest.session): \(obstruction); move it away, then requeue this manifest"
                )
            )
        case .published(let outcome, let previousSource):
            published = outcome
            if outcome == .replaced, let previousSource, previousSource != claim.originalName {
                logger.warning(
                    "session replaced by a drop from another file",
                    metadata: [
                        "scenedrop.replaced_file": "\(previousSource)"
                    ]
                )
            }
        }
        paidScenes.forget(manifest: paidKey)
        await finishBatch(batch)
        await notify(session: manifest.session, bytes: sessionBytes, logger: logger)
        let fallbacks = scenes.filter { $0.status == .fallback }.count
        logger.info(
            "session published",
            metadata: [
                "scenedrop.scenes": "\(scenes.count)", "scenedrop.fallbacks": "\(fallbacks)",
                "scenedrop.replaced": "\(published == .replaced)", "scenedrop.duration_ms": "\(session.durationMS)",
            ]
        )
        return .published(
            .published(
                session: manifest.session,
                scenes: scenes.count,
                fallbacks: fallbacks,
                replaced: published == .replaced
            )
        )
    }

    /// `--strict`: a session with any fallback scene is quarantined (`fallback_used`), naming each.
    static func strictRejection(_ manifest: Manifest, _ scenes: [SessionMetadata.Scene]) -> ManifestError? {
        let fallbacks = scenes.filter { $0.status == .fallback }
        guard !fallbacks.isEmpty else { return nil }
        return ManifestError(
            reason: .fallbackUsed,
            message: "\(fallbacks.count) of \(scenes.count) scenes could not come from a real provider (--strict)",
            issues: fallbacks.map { scene in
                let index = manifest.scenes.firstIndex { $0.sceneNumber == scene.sceneNumber } ?? 0
                return ManifestIssue(
                    path: "scenes[\(index)]",
                    message: "scene \(scene.sceneNumber) fell back to the placeholder"
                )
            }
        )
    }

    func discard(_ staging: SessionStaging) async {
        await WorkerThreads.io.run { staging.discard() }
    }

    // MARK: - Generation

    /// `key`: the claim's path, naming the session in the activity reports. `batched`: what a batch
    /// job made of each scene, if the session went as one.
    ///
    /// A scene with `continue_from` starts once the image of the scene it continues from is written, with that
    /// image as its last reference; the other scenes run in parallel meanwhile. A placeholder is never sent as
    /// a reference: a scene continuing from one goes without it, and session.json says so.
    func generateScenes(
        _ manifest: Manifest,
        key: String,
        paidKey: String,
        references: SessionReferences = SessionReferences(),
        batched: [Int: BatchSceneResult] = [:],
        into staging: SessionStaging,
        logger: Logger
    ) async throws -> (scenes: [SessionMetadata.Scene], warnings: [Issue]) {
        let digits = max(3, String(manifest.scenes.map(\.sceneNumber).max() ?? 0).count)
        try await WorkerThreads.io.run { () throws(SystemError) in try staging.makeThumbnailFolder() }
        // By the scene they continue from, with their place in the manifest (for a warning's path).
        var waiting = Dictionary(grouping: manifest.scenes.enumerated().filter { $0.element.continueFrom != nil }) {
            $0.element.continueFrom!
        }
        // At most this many scenes of one session in flight: enough to keep every permit and CPU thread busy
        // for a session alone, few enough that a session of 500 scenes does not queue 500 of them ahead of
        // every other session's (the permits and CPU turns then go round-robin across sessions).
        let inFlight = max(2, configuration.concurrency + WorkerThreads.cpu.threads)
        // A scene whose image cannot be written (a full disk) does not cancel the others: their requests are
        // under way and will be paid for, so they finish and their images are kept for the next try; then the
        // session is handed back. Cancelling them paid for images nobody kept, to pay for them again.
        return try await withThrowingTaskGroup(of: Result<SceneWritten, SystemError>.self) { group in
            // Each with every reference it sends: the named ones, then the image it continues from, if any.
            var ready = manifest.scenes.filter { $0.continueFrom == nil }.map { ($0, references.images(for: $0)) }[...]
            var running = 0
            func startNext() {
                guard let (scene, sent) = ready.popFirst() else { return }
                let request = ImageRequest(
                    manifest: manifest,
                    scene: scene,
                    format: configuration.imageFormat,
                    references: sent
                )
                let continued = waiting[scene.sceneNumber] != nil
                running += 1
                group.addTask {
                    do {
                        return .success(
                            try await generateScene(
                                scene,
                                request,
                                paidKey: paidKey,
                                key: key,
                                digits: digits,
                                continued: continued,
                                batched: batched[scene.sceneNumber],
                                manifest: manifest,
                                into: staging,
                                logger: logger
                            )
                        )
                    } catch let error as SystemError {
                        logger.warning(
                            "scene could not be written; the scenes under way finish before the session is handed back",
                            metadata: [
                                "scenedrop.scene": "\(request.sceneNumber)", "error.type": "\(error.shortDescription)",
                                "error.message": "\(error.description)",
                            ]
                        )
                        return .failure(error)
                    }
                }
            }
            while running < inFlight, !ready.isEmpty { startNext() }
            var scenes: [SessionMetadata.Scene] = []
            var warnings: [Issue] = []
            var fault: SystemError?
            for try await outcome in group {
                running -= 1
                guard case .success(let written) = outcome, fault == nil else {
                    if case .failure(let error) = outcome, fault == nil {
                        fault = error
                        // Nothing more is started; what is under way finishes.
                        ready.removeAll()
                        waiting.removeAll()
                    }
                    continue
                }
                scenes.append(written.scene)
                for (index, next) in waiting.removeValue(forKey: written.scene.sceneNumber) ?? [] {
                    var sent = references.images(for: next)
                    if let continuation = written.continuation {
                        sent.append(continuation)
                    } else {
                        warnings.append(
                            Issue(
                                path: "scenes[\(index)].continue_from",
                                message: "scene \(written.scene.sceneNumber) "
                                    + (written.scene.provider == PlaceholderProvider().name
                                        ? "is a placeholder" : "has no image that could be sent")
                                    + ", so scene \(next.sceneNumber) was made without it",
                                line: next.referencesAt?.line,
                                column: next.referencesAt?.column
                            )
                        )
                    }
                    ready.append((next, sent))
                }
                // Scenes made ready above may find more than one place free (it waited while others ran).
                while running < inFlight, !ready.isEmpty { startNext() }
            }
            if let fault { throw fault }
            return (scenes.sorted { $0.sceneNumber < $1.sceneNumber }, warnings)
        }
    }

    /// A scene written to staging, and its image as a reference for the scenes that continue from it.
    struct SceneWritten: Sendable {
        var scene: SessionMetadata.Scene
        var continuation: ReferenceImage?
    }

    /// One scene: its image (paid on an earlier try, from a batch, or through the chain), its preview and
    /// metadata written to staging.
    func generateScene(
        _ scene: Manifest.Scene,
        _ request: ImageRequest,
        paidKey: String,
        key: String,
        digits: Int,
        continued: Bool,
        batched: BatchSceneResult?,
        manifest: Manifest,
        into staging: SessionStaging,
        logger: Logger
    ) async throws -> SceneWritten {
        let sceneNumber = scene.sceneNumber
        let (activity, sync) = (self.activity, configuration.sync)
        let generated: GeneratedImage
        if let paid = paidScenes.image(manifest: paidKey, scene: sceneNumber) {
            // Paid for on an earlier try of this very manifest that could not be published.
            logger.info(
                "scene image paid for on an earlier try used again",
                metadata: ["scenedrop.scene": "\(sceneNumber)"]
            )
            generated = paid
        } else {
            do throws(GenerationError) {
                generated = try await image(
                    for: request,
                    batched: batched,
                    started: ContinuousClock.now,
                    logger: logger
                ) { progress in
                    activity.progress(key, scene: sceneNumber, progress)
                }
            } catch {
                if error.code == .cancelled { throw error }
                throw SceneGenerationError(sceneNumber: sceneNumber, underlying: error)
            }
            paidScenes.keep(generated, manifest: paidKey, scene: sceneNumber)
        }
        activity.rendered(key, scene: sceneNumber, provider: generated.provider)
        let base = "scene-" + Self.pad(sceneNumber, digits)
        let imageName = base + "." + generated.image.format.fileExtension
        let thumbnail = await Self.thumbnail(
            of: generated.image,
            name: base,
            session: manifest.session,
            logger: logger
        )
        // Written as soon as it exists: a session's images are never all held in memory.
        let metadata = Self.metadata(
            manifest: manifest,
            scene: scene,
            generated: generated,
            imageName: imageName,
            references: request.references
        )
        let (imageBytes, metadataBytes) = (generated.image.bytes, try MetadataCoding.encode(metadata))
        try await WorkerThreads.io.run { () throws(SystemError) in
            try staging.write(imageName, imageBytes, sync: sync)
            try staging.write(base + ".json", metadataBytes, sync: sync)
            if let thumbnail { try staging.write(thumbnail.file, thumbnail.bytes, sync: sync) }
        }
        let status: SessionMetadata.Status =
            generated.fallback != nil || !generated.isReal
            ? .fallback : (generated.image.cacheHit ? .cached : .generated)
        let written = SessionMetadata.Scene(
            sceneNumber: sceneNumber,
            image: imageName,
            metadata: base + ".json",
            provider: generated.provider,
            model: generated.image.model,
            status: status,
            costUSD: generated.image.costUSD,
            thumbnail: thumbnail.map { .init(file: $0.file, width: $0.width, height: $0.height) }
        )
        activity.written(key, scene: written, fallbackReason: generated.fallback?.reason.rawValue)
        guard continued, generated.isReal else { return SceneWritten(scene: written, continuation: nil) }
        return SceneWritten(
            scene: written,
            continuation: await Self.continuation(
                of: generated.image,
                name: base,
                file: imageName,
                scene: sceneNumber,
                session: manifest.session
            )
        )
    }

    /// The image of a scene continued from, as the reference the next scene sends: fitted like a library
    /// file, its SHA-256 that of the published image. Nil when cancelled or when it cannot be fitted.
    static func continuation(
        of image: ProviderImage,
        name: String,
        file: String,
        scene: Int,
        session: String
    ) async -> ReferenceImage? {
        let bytes = image.bytes
        let done = await ProviderPhases.cpuUnlessCancelled(key: session) {
            (try? ImageFitter.fit(bytes, longSide: ReferenceImage.longSide), Digest.sha256Hex(bytes))
        }
        guard let (fitted, sha256) = done, let fitted else { return nil }
        return ReferenceImage(
            name: name,
            file: file,
            kind: .object,
            description: nil,
            sha256: sha256,
            fromScene: scene,
            image: APIReference(
                bytes: fitted.bytes,
                mimeType: fitted.mimeType,
                fileName: name + "." + fitted.format.fileExtension
            )
        )
    }

    /// A JPEG preview (`ImagePreview`) made with libvips on the CPU threads; nil (logged) when it cannot
    /// be made: a preview is a convenience, never a reason to hold a session back.
    static func thumbnail(
        of image: ProviderImage,
        name: String,
        session: String,
        logger: Logger
    ) async -> (file: String, bytes: [UInt8], width: Int, height: Int)? {
        let (bytes, width, height) = (image.bytes, image.width, image.height)
        // In the session's CPU turn, like its renders; not made at all once the session is cancelled.
        let made = await ProviderPhases.cpuUnlessCancelled(key: session) {
            Result { () throws(ImagingError) in try ImagePreview.make(bytes, width: width, height: height) }
        }
        guard let result = made else { return nil }
        switch result {
        case .success(let preview):
            return (SessionStaging.thumbnailFolder + "/" + name + ".jpg", preview.jpeg, preview.width, preview.height)
        case .failure(let error):
            logger.warning(
                "thumbnail could not be made",
                metadata: ["scenedrop.image": "\(name)", "error.message": "\(error.message)"]
            )
            return nil
        }
    }

    static func metadata(
        manifest: Manifest,
        scene: Manifest.Scene,
        generated: GeneratedImage,
        imageName: String,
        references: [ReferenceImage] = []
    ) -> SceneMetadata {
        let image = generated.image
        return SceneMetadata(
            session: manifest.session,
            sceneNumber: scene.sceneNumber,
            image: .init(
                file: imageName,
                format: image.format.rawValue,
                width: image.width,
                height: image.height,
                bytes: image.bytes.count,
                sha256: Digest.sha256Hex(image.bytes)
            ),
            prompt: .init(
                original: scene.prompt,
                enhanced: image.enhancedPrompt,
                negative: scene.negativePrompt,
                style: scene.style.rawValue,
                aspectRatio: manifest.aspectRatio.description
            ),
            provider: generated.provider,
            model: image.model,
            imageSize: image.imageSize,
            costUSD: image.costUSD,
            cacheHit: image.cacheHit,
            attempts: image.attempts,
            latencyMS: generated.latencyMS,
            fallback: generated.fallback.map { fallback in
                .init(
                    reason: fallback.reason.rawValue,
                    tried: fallback.tried.map {
                        .init(provider: $0.provider, model: $0.model, error: $0.error, attempts: $0.attempts)
                    }
                )
            },
            createdAt: WallClock.rfc3339(WallClock.now()),
            usage: image.usage.map {
                .init(
                    inputTokens: $0.inputTokens,
                    outputImageTokens: $0.outputImageTokens,
                    thinkingTokens: $0.thinkingTokens,
                    outputTextTokens: $0.outputTextTokens
                )
            },
            references: references.map {
                .init(name: $0.name, file: $0.file, kind: $0.kind.rawValue, sha256: $0.sha256, fromScene: $0.fromScene)
            }
        )
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

/// A scene the chain could not give an image, not even a placeholder.
struct SceneGenerationError: Error {
    var sceneNumber: Int
    var underlying: GenerationError
}

/// How the last trip to the I/O threads of a publish ended.
enum PublishStep: Sendable {
    /// With the `source` of the session it replaced, if there was one.
    case published(SessionStaging.Outcome, previousSource: String?)
    /// A newer drop of the session (this file) was decoded meanwhile: this one is not published.
    case superseded(by: String)
    /// The fence found the claim gone: a peer took it.
    case claimLost
    /// Something that is not a session folder stands at the session's place in the outbox.
    case blocked(String)
}
