/// One link of a model chain (contract §11): a provider and one of its models, written
/// `provider:model` (`gemini:gemini-3-pro-image`, `vertex:gemini-3-pro-image`, `openai:gpt-image-1`).
package struct ChainLink: Sendable, Equatable, Hashable, CustomStringConvertible {
    package var provider: String
    package var model: String

    package init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    package var description: String { "\(provider):\(model)" }
}
