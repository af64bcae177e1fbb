/// An API key. It prints as `<redacted>` everywhere (logs, errors, metadata), so it can only leave
/// the process in the `x-goog-api-key` header.
public struct GeminiKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let value: String

    /// Whitespace is stripped, as the official SDK does.
    public init?(_ raw: String) {
        let trimmed = String(raw.unicodeScalars.filter { !$0.properties.isWhitespace })
        guard !trimmed.isEmpty else { return nil }
        value = trimmed
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }

    /// Removes the key from text that might quote it back (an error echoing a URL, say).
    public func scrub(_ text: String) -> String {
        text.replacing(value, with: "<redacted>")
    }
}
