/// What an answer says it used, in tokens: what the vendor bills by (docs/gemini-image-api.md §2.4).
package struct TokenUsage: Sendable, Equatable {
    /// The prompt and every input image (references count).
    package var inputTokens: Int
    /// The image or images the answer carries.
    package var outputImageTokens: Int
    /// Text the answer carries besides the image (often a token or two).
    package var outputTextTokens: Int
    /// Thinking, billed at the text-output rate whether or not thoughts are returned.
    package var thinkingTokens: Int

    /// A token count as a server could send it, within 0…10⁹: no answer is billed for more, and a hostile
    /// count never becomes a negative cost or a trap.
    package static func count(_ reported: Int) -> Int { min(max(reported, 0), 1_000_000_000) }

    package init(inputTokens: Int, outputImageTokens: Int, outputTextTokens: Int = 0, thinkingTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputImageTokens = outputImageTokens
        self.outputTextTokens = outputTextTokens
        self.thinkingTokens = thinkingTokens
    }
}

extension ModelSpec.TokenPrices {
    /// USD for `usage` at these prices per million tokens.
    package func cost(of usage: TokenUsage) -> Double {
        let input = Double(usage.inputTokens) * input
        let image = Double(usage.outputImageTokens) * imageOutput
        let text = Double(usage.outputTextTokens + usage.thinkingTokens) * textOutput
        return (input + image + text) / 1_000_000
    }
}
