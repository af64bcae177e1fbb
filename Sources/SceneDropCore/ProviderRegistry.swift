import ImageGeneration
import OpenAIImages

/// The providers SceneDrop knows (contract §11) and what `--providers` turns into: the chains of
/// `provider:model` links each manifest quality walks. The placeholder always ends every chain.
package enum ProviderRegistry {
    package static let names = ["gemini", "vertex", "openai", "placeholder"]

    /// The built-in model table: Google's models (served by `gemini` and `vertex`) and OpenAI's.
    package static var catalog: ModelCatalog { ModelCatalog.builtIn.merging(OpenAICatalog.models) }

    /// A `--providers` list the registry cannot take: what, and how to write it.
    package struct UsageError: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// The chains `--providers` sets, or nil when it names Gemini alone (with or without the placeholder):
    /// then the table's chains stand (the defaults, `--models-file`'s, or `--draft-models`').
    /// - A bare provider name adds that provider's default models: `gemini` the table's chains, `vertex` the
    ///   same models through Vertex AI, `openai` `gpt-image-1-mini` for drafts and `gpt-image-1` for production.
    /// - A `provider:model` link is tried for both qualities, in its place.
    package static func chains(
        _ entries: [String],
        catalog: ModelCatalog
    ) throws(UsageError) -> (draft: [String], production: [String])? {
        var draft: [String] = []
        var production: [String] = []
        for entry in entries {
            if entry.contains(":") {
                if let problem = catalog.problem(with: entry) {
                    throw UsageError(description: "--providers: \(problem)")
                }
                let provider = catalog.link(entry).provider
                guard names.contains(provider), provider != "placeholder" else {
                    throw UsageError(
                        description: "--providers: unknown provider '\(provider)' in '\(entry)' (known: \(known))"
                    )
                }
                draft.append(entry)
                production.append(entry)
                continue
            }
            switch entry {
            case "gemini":
                draft += catalog.draftChain
                production += catalog.productionChain
            case "vertex":
                draft += vertexLinks(catalog.draftChain, catalog)
                production += vertexLinks(catalog.productionChain, catalog)
            case "openai":
                draft += OpenAICatalog.draftChain
                production += OpenAICatalog.productionChain
            case "placeholder":
                continue
            default:
                throw UsageError(
                    description:
                        "--providers: unknown provider '\(entry)' (known: \(known); or a link such as openai:gpt-image-1)"
                )
            }
        }
        if Set(entries).isSubset(of: ["gemini", "placeholder"]) { return nil }
        return (unique(draft), unique(production))
    }

    static var known: String { names.joined(separator: ", ") }

    /// Google's links of a chain, through Vertex AI.
    static func vertexLinks(_ chain: [String], _ catalog: ModelCatalog) -> [String] {
        chain.map(catalog.link).filter { $0.provider == "gemini" }.map { "vertex:\($0.model)" }
    }

    /// In order, each link once.
    static func unique(_ links: [String]) -> [String] {
        var seen: Set<String> = []
        return links.filter { seen.insert($0).inserted }
    }
}
