import ArgumentParser
import ImageGeneration
import SceneDropCore
import SystemSupport

/// The model table in effect: built in, then a `--models-file`, then the chain flags.
struct ModelOptions: ParsableArguments {
    @Option(
        name: .customLong("models-file"),
        help: ArgumentHelp(
            "A JSON file of changes to the model table: prices, sizes, new models, chains (or set SCENEDROP_MODELS_FILE). See `scenedrop models --help`.",
            valueName: "file"
        )
    )
    var modelsFile: String?

    @Option(
        name: .customLong("draft-models"),
        help: ArgumentHelp(
            "Models tried for draft manifests, in order, comma-separated (default: gemini-3.1-flash-lite-image,gemini-nano-banana-2.1).",
            valueName: "ids"
        )
    )
    var draftModels: String?

    @Option(
        name: .customLong("production-models"),
        help: ArgumentHelp(
            "Models tried for production manifests, in order, comma-separated (default: gemini-3-pro-image,gemini-nano-banana-2.1).",
            valueName: "ids"
        )
    )
    var productionModels: String?

    /// The effective table, or a ValidationError that says where the file is wrong.
    func catalog() throws -> ModelCatalog {
        var catalog = ProviderRegistry.catalog
        if let path = modelsFile ?? environment("SCENEDROP_MODELS_FILE"), !path.isEmpty {
            let bytes: [UInt8]
            do {
                bytes = try FileSystem.readRegularFile(FileSystem.resolvingLink(path), limit: 1 << 20)
            } catch {
                throw ValidationError("--models-file \(path): \(error)")
            }
            do {
                catalog = try ModelTableFile.apply(bytes, to: catalog)
            } catch {
                throw ValidationError("--models-file \(path): \(error)")
            }
        }
        for (flag, text, keyPath) in [
            ("--draft-models", draftModels, \ModelCatalog.draftChain),
            ("--production-models", productionModels, \ModelCatalog.productionChain),
        ] {
            guard let text else { continue }
            let ids = text.split(separator: ",").map { String($0).trimmingCharacters(in: " ") }.filter { !$0.isEmpty }
            guard !ids.isEmpty else { throw ValidationError("\(flag) needs at least one model id") }
            for id in ids {
                guard let problem = catalog.problem(with: id) else { continue }
                let hint = catalog[catalog.link(id).model] == nil ? "; add it with --models-file" : ""
                throw ValidationError("\(flag): \(problem)\(hint)")
            }
            catalog[keyPath: keyPath] = ids
        }
        return catalog
    }
}
