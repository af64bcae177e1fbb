import ArgumentParser
import ImageGeneration
import Imaging
import Logging
import SceneDropCore

/// How images are made: shared by `watch` and `process`.
struct GenerationOptions: ParsableArguments {
    @Option(name: .long, help: "Provider calls in flight across the whole daemon.")
    var concurrency: Int = 8

    @Option(name: .customLong("max-sessions"), help: "Manifests claimed at once (default: the concurrency, at least 2). The rest wait in the inbox, where other instances can take them.")
    var maxSessions: Int?

    @Option(name: .customLong("image-format"), help: "png or jpeg.")
    var imageFormat: String = "png"

    @Flag(name: .long, help: "Quarantine a session (reason fallback_used) when any scene could not come from a real provider.")
    var strict = false

    @Option(name: .customLong("notify-dir"), help: ArgumentHelp("After each publish, write <session>.json (a copy of session.json) here by temp file and rename: a next stage can watch this folder.", valueName: "dir"))
    var notifyDir: String?

    @Option(name: .long, help: "How long a file found by a rescan (no close event) must keep the same size and mtime before it is taken.")
    var settle: DurationArgument = DurationArgument(.seconds(1), text: "1s")

    @Flag(name: .customLong("no-fsync"), help: .hidden)
    var noFsync = false

    func validate() throws {
        guard concurrency >= 1, concurrency <= 1024 else { throw ValidationError("--concurrency must be from 1 to 1024 (got \(concurrency))") }
        if let maxSessions, maxSessions < 1 { throw ValidationError("--max-sessions must be at least 1") }
        guard OutputFormat(rawValue: imageFormat.lowercased() == "jpg" ? "jpeg" : imageFormat.lowercased()) != nil else {
            throw ValidationError("--image-format must be png or jpeg (got '\(imageFormat)')")
        }
    }

    func apply(to configuration: inout Configuration) {
        configuration.concurrency = concurrency
        configuration.maxSessions = maxSessions
        configuration.imageFormat = OutputFormat(rawValue: imageFormat.lowercased() == "jpg" ? "jpeg" : imageFormat.lowercased()) ?? .png
        configuration.strict = strict
        configuration.notifyDirectory = notifyDir.map(Layout.absolutePath)
        configuration.settle = settle.duration
        configuration.sync = !noFsync
    }

    /// The provider chain. Real providers plug in here; the placeholder is always the last link.
    func makeChain(logger: Logger) -> ProviderChain {
        if environment("GEMINI_API_KEY") != nil || environment("GOOGLE_API_KEY") != nil {
            logger.notice("an API key is set, but this build has no Gemini provider yet: images come from the placeholder renderer")
        } else {
            logger.notice("no API key configured: every image comes from the placeholder renderer")
        }
        return ProviderChain(providers: [], emptyChainReason: .noAPIKey)
    }
}
