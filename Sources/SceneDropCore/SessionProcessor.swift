import DropFolder
import ImageGeneration
import Imaging
import Logging
import Outbox
import SceneManifest
import SystemSupport

/// Turns one claimed manifest into a published session, a quarantine entry, or a hand-back.
/// Never publishes a partial session: everything is staged, and the publish is one rename.
public struct SessionProcessor: Sendable {
    public let configuration: Configuration
    public let work: WorkArea
    public let chain: ProviderChain
    public let limiter: ConcurrencyLimiter
    public let logger: Logger

    public init(configuration: Configuration, work: WorkArea, chain: ProviderChain, limiter: ConcurrencyLimiter, logger: Logger) {
        self.configuration = configuration
        self.work = work
        self.chain = chain
        self.limiter = limiter
        self.logger = logger
    }

    var layout: Layout { configuration.layout }

    public func process(_ claim: ClaimedManifest, receivedAt: Double) async -> ProcessOutcome {
        var logger = logger
        logger[metadataKey: "scenedrop.file"] = "\(claim.originalName)"

        // 1. What is it? lstat only: a FIFO, socket or link is never opened.
        let info: FileInfo
        do {
            guard let found = try FileSystem.info(claim.path) else { return .stuck(error: "claimed file vanished from work/") }
            info = found
        } catch {
            return handBack(claim, error: error, logger: logger)
        }
        if info.kind != .regular {
            return quarantine(claim, ManifestError(reason: .unsupportedFile, message: Self.unsupportedMessage(info.kind)), logger: logger)
        }
        if info.size > Int64(ManifestDecoder.maximumBytes) {
            return quarantine(claim, Self.tooLarge(info.size), logger: logger)
        }

        // 2. Read and decode; a file that ends early is read again once it has settled.
        let bytes: [UInt8]
        let manifest: Manifest
        switch await readAndDecode(claim) {
        case .success(let pair): (bytes, manifest) = pair
        case .failure(.manifest(let error)): return quarantine(claim, error, logger: logger)
        case .failure(.system(let error)): return handBack(claim, error: error, logger: logger)
        case .failure(.cancelled): return cancelled(claim, logger: logger)
        }
        logger[metadataKey: "scenedrop.session"] = "\(manifest.session)"
        if Task.isCancelled { return cancelled(claim, logger: logger) }

        // 3. Generate into staging, then publish in one step.
        let started = WallClock.now()
        let staging: SessionStaging
        do {
            staging = try SessionStaging(outbox: layout.outbox, instanceID: work.instanceID, session: manifest.session)
        } catch {
            return handBack(claim, error: error, logger: logger)
        }
        do {
            let scenes = try await generateScenes(manifest, into: staging, logger: logger)
            if configuration.strict, scenes.contains(where: { $0.status == .fallback }) {
                staging.discard()
                let fallbacks = scenes.filter { $0.status == .fallback }
                let error = ManifestError(
                    reason: .fallbackUsed,
                    message: "\(fallbacks.count) of \(scenes.count) scenes could not come from a real provider (--strict)",
                    issues: fallbacks.map { scene in
                        let index = manifest.scenes.firstIndex { $0.sceneNumber == scene.sceneNumber } ?? 0
                        return ManifestIssue(path: "scenes[\(index)]", message: "scene \(scene.sceneNumber) fell back to the placeholder")
                    })
                return quarantine(claim, error, logger: logger)
            }
            let finished = WallClock.now()
            let session = SessionMetadata(
                session: manifest.session, source: claim.originalName,
                receivedAt: WallClock.rfc3339(receivedAt), startedAt: WallClock.rfc3339(started), finishedAt: WallClock.rfc3339(finished),
                durationMS: Int(((finished - started) * 1000).rounded()),
                quality: manifest.quality.rawValue, aspectRatio: manifest.aspectRatio.description,
                width: manifest.width, height: manifest.height, scenes: scenes,
                warnings: manifest.warnings.map { Issue(path: $0.path, message: $0.message, line: $0.line, column: $0.column) },
                host: Host.name, version: SceneDropVersion.current)
            let sessionBytes = try MetadataCoding.encode(session)
            if Task.isCancelled {
                staging.discard()
                return cancelled(claim, logger: logger)
            }
            // One trip to the I/O threads for the rest: the manifest, session.json last (its presence marks
            // a complete session), the publish rename and the claim's release.
            let (work, sync) = (self.work, configuration.sync)
            let outcome = try await BlockingIO.run { () throws(SystemError) in
                try staging.write("manifest.json", bytes, sync: sync)
                try staging.write("session.json", sessionBytes, sync: sync)
                let outcome = try staging.publish(sync: sync)
                try? work.release(claim)
                return outcome
            }
            notify(session: manifest.session, bytes: sessionBytes, logger: logger)
            let fallbacks = scenes.filter { $0.status == .fallback }.count
            logger.info("session published", metadata: [
                "scenedrop.scenes": "\(scenes.count)", "scenedrop.fallbacks": "\(fallbacks)",
                "scenedrop.replaced": "\(outcome == .replaced)", "scenedrop.duration_ms": "\(session.durationMS)",
            ])
            return .published(session: manifest.session, scenes: scenes.count, fallbacks: fallbacks, replaced: outcome == .replaced)
        } catch let error as SystemError {
            // The machine's fault (disk full, permissions): back to the inbox, retried with backoff.
            staging.discard()
            return handBack(claim, error: error, logger: logger)
        } catch let error as GenerationError where error.code == .cancelled {
            staging.discard()
            return cancelled(claim, logger: logger)
        } catch is CancellationError {
            staging.discard()
            return cancelled(claim, logger: logger)
        } catch let error as SceneGenerationError {
            // The placeholder failed its tries: the same manifest would fail the same way again, so it
            // ends in quarantine instead of being handed back forever.
            staging.discard()
            let index = manifest.scenes.firstIndex { $0.sceneNumber == error.sceneNumber } ?? 0
            return quarantine(claim, ManifestError(
                reason: .processingFailed,
                message: "scene \(error.sceneNumber) could not be rendered, not even as a placeholder: \(error.underlying.message)",
                issues: [ManifestIssue(path: "scenes[\(index)]", message: "could not be rendered: \(error.underlying.message)")]), logger: logger)
        } catch {
            // Encoding the metadata failed: a bug, and deterministic, so quarantine with what it said.
            staging.discard()
            return quarantine(claim, ManifestError(reason: .processingFailed, message: "the session's metadata could not be written: \(error)"), logger: logger)
        }
    }

    // MARK: - Reading

    enum ReadFailure: Error {
        case manifest(ManifestError)
        case system(SystemError)
        case cancelled
    }

    /// Reads and decodes; when the JSON ends early (a writer that closed and will reopen, or one that
    /// paused longer than the settle interval), waits until the file is unchanged for `settle` and no
    /// local process still has it open for writing, then reads again before judging it.
    func readAndDecode(_ claim: ClaimedManifest) async -> Result<([UInt8], Manifest), ReadFailure> {
        var lastInfo = try? FileSystem.info(claim.path)
        var waited = 0
        // Consecutive looks at which the file was unchanged and no local writer held it open.
        var quietLooks = 0
        while true {
            let bytes: [UInt8]
            do {
                bytes = try FileSystem.readRegularFile(claim.path, limit: ManifestDecoder.maximumBytes)
            } catch {
                switch error {
                case .tooLarge(let size): return .failure(.manifest(Self.tooLarge(size)))
                case .notRegular(let kind): return .failure(.manifest(ManifestError(reason: .unsupportedFile, message: Self.unsupportedMessage(kind))))
                case .system(let e): return .failure(.system(e))
                }
            }
            do {
                return .success((bytes, try ManifestDecoder.decode(bytes, fileName: claim.originalName)))
            } catch {
                // A writer gets up to 600 looks (10 minutes at the default settle) to finish.
                guard error.endedEarly, waited < 600 else { return .failure(.manifest(error)) }
                do {
                    try await Task.sleep(for: max(configuration.settle, .milliseconds(100)))
                } catch {
                    return .failure(.cancelled)
                }
                waited += 1
                let now = try? FileSystem.info(claim.path)
                let writing = OpenFileProbe.isOpenForWriting(claim.path)
                quietLooks = (now == lastInfo && !writing) ? quietLooks + 1 : 0
                logger.debug("manifest ended early; waiting for its writer", metadata: [
                    "scenedrop.file": "\(claim.originalName)", "scenedrop.look": "\(waited)",
                    "scenedrop.changed": "\(now != lastInfo)", "scenedrop.open_for_writing": "\(writing)",
                ])
                // Judged only after two quiet looks in a row, so one unlucky look cannot condemn it.
                if quietLooks >= 2 { return .failure(.manifest(error)) }
                lastInfo = now
            }
        }
    }

    static func tooLarge(_ size: Int64) -> ManifestError {
        ManifestError(reason: .tooLarge, message: "the file is \(size) bytes; a manifest may be at most 1 MiB (1048576 bytes): split the scenes over several manifests")
    }

    static func unsupportedMessage(_ kind: FileInfo.Kind) -> String {
        switch kind {
        case .symlink: return "is a symbolic link; SceneDrop never follows links in the inbox: copy the manifest itself into the inbox"
        case .fifo: return "is a FIFO (named pipe) and was not opened; drop a regular JSON file"
        case .socket: return "is a socket and was not opened; drop a regular JSON file"
        case .device: return "is a device file and was not opened; drop a regular JSON file"
        default: return "is not a regular file; drop a regular JSON file"
        }
    }

    // MARK: - Generation

    func generateScenes(_ manifest: Manifest, into staging: SessionStaging, logger: Logger) async throws -> [SessionMetadata.Scene] {
        let format = configuration.imageFormat
        let sync = configuration.sync
        let digits = max(3, String(manifest.scenes.map(\.sceneNumber).max() ?? 0).count)
        return try await withThrowingTaskGroup(of: SessionMetadata.Scene.self) { group in
            for scene in manifest.scenes {
                group.addTask {
                    let request = ImageRequest(manifest: manifest, scene: scene, format: format)
                    let generated: GeneratedImage
                    do throws(GenerationError) {
                        generated = try await chain.generate(request, limiter: limiter, logger: logger)
                    } catch {
                        if error.code == .cancelled { throw error }
                        throw SceneGenerationError(sceneNumber: scene.sceneNumber, underlying: error)
                    }
                    let base = "scene-" + Self.pad(scene.sceneNumber, digits)
                    let imageName = base + "." + generated.image.format.fileExtension
                    // Written as soon as it exists: a session's images are never all held in memory.
                    let metadata = Self.metadata(manifest: manifest, scene: scene, generated: generated, imageName: imageName)
                    let (imageBytes, metadataBytes) = (generated.image.bytes, try MetadataCoding.encode(metadata))
                    try await BlockingIO.run { () throws(SystemError) in
                        try staging.write(imageName, imageBytes, sync: sync)
                        try staging.write(base + ".json", metadataBytes, sync: sync)
                    }
                    let status: SessionMetadata.Status = generated.fallback != nil || !generated.isReal
                        ? .fallback : (generated.image.cacheHit ? .cached : .generated)
                    return SessionMetadata.Scene(
                        sceneNumber: scene.sceneNumber, image: imageName, metadata: base + ".json",
                        provider: generated.provider, model: generated.image.model, status: status, costUSD: generated.image.costUSD)
                }
            }
            var scenes: [SessionMetadata.Scene] = []
            for try await scene in group { scenes.append(scene) }
            return scenes.sorted { $0.sceneNumber < $1.sceneNumber }
        }
    }

    static func metadata(manifest: Manifest, scene: Manifest.Scene, generated: GeneratedImage, imageName: String) -> SceneMetadata {
        let image = generated.image
        return SceneMetadata(
            session: manifest.session, sceneNumber: scene.sceneNumber,
            image: .init(file: imageName, format: image.format.rawValue, width: image.width, height: image.height, bytes: image.bytes.count, sha256: Digest.sha256Hex(image.bytes)),
            prompt: .init(original: scene.prompt, enhanced: image.enhancedPrompt, negative: scene.negativePrompt, style: scene.style.rawValue, aspectRatio: manifest.aspectRatio.description),
            provider: generated.provider, model: image.model, imageSize: image.imageSize, costUSD: image.costUSD,
            cacheHit: image.cacheHit, attempts: image.attempts, latencyMS: generated.latencyMS,
            fallback: generated.fallback.map { fallback in
                .init(reason: fallback.reason.rawValue, tried: fallback.tried.map { .init(provider: $0.provider, model: $0.model, error: $0.error, attempts: $0.attempts) })
            },
            createdAt: WallClock.rfc3339(WallClock.now()))
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    // MARK: - Endings

    func quarantine(_ claim: ClaimedManifest, _ error: ManifestError, logger: Logger) -> ProcessOutcome {
        let now = WallClock.now()
        let reason = error.reason.rawValue
        let report = QuarantineReport(
            file: claim.originalName, reason: reason, message: error.message,
            errors: error.issues.map { Issue(path: $0.path, message: $0.message, line: $0.line, column: $0.column) },
            line: error.line, column: error.column, quarantinedAt: WallClock.rfc3339(now), host: Host.name)
        do {
            let name = try Quarantine(directory: layout.quarantine).admit(claim.path, originalName: claim.originalName, report: report, now: now)
            logger.warning("manifest quarantined", metadata: ["scenedrop.reason": "\(reason)", "scenedrop.quarantine_name": "\(name)", "error.message": "\(error.message)"])
            return .quarantined(name: name, reason: reason)
        } catch {
            // Could not even quarantine (disk full?): not the manifest's fault, try again later.
            return handBack(claim, error: error, logger: logger)
        }
    }

    func handBack(_ claim: ClaimedManifest, error: SystemError, logger: Logger) -> ProcessOutcome {
        do {
            let name = try work.handBack(claim)
            logger.warning("manifest handed back to the inbox after a system fault", metadata: [
                "error.type": "\(error.shortDescription)", "error.message": "\(error.description)", "scenedrop.inbox_name": "\(name)",
            ])
            return .handedBack(inboxName: name, error: error.description)
        } catch let second {
            logger.error("manifest could not be handed back; it stays in work/ for recovery", metadata: [
                "error.message": "\(error.description)", "error.second": "\(second.description)",
            ])
            return .stuck(error: second.description)
        }
    }

    func cancelled(_ claim: ClaimedManifest, logger: Logger) -> ProcessOutcome {
        do {
            let name = try work.handBack(claim)
            logger.notice("manifest handed back to the inbox at shutdown", metadata: ["scenedrop.inbox_name": "\(name)"])
            return .cancelled(inboxName: name)
        } catch {
            logger.error("manifest could not be handed back; it stays in work/ for recovery", metadata: ["error.message": "\(error.description)"])
            return .stuck(error: error.description)
        }
    }

    /// `--notify-dir`: a copy of session.json, by temp file and rename, for the next stage.
    func notify(session: String, bytes: [UInt8], logger: Logger) {
        guard let dir = configuration.notifyDirectory else { return }
        do {
            try FileSystem.makeDirectories(dir)
            try FileSystem.writeAtomically(dir + "/" + session + ".json", bytes: bytes, sync: configuration.sync)
        } catch {
            logger.error("notification could not be written", metadata: ["error.message": "\(error.description)"])
        }
    }
}

/// A scene the chain could not give an image, not even a placeholder.
struct SceneGenerationError: Error {
    var sceneNumber: Int
    var underlying: GenerationError
}
