import SystemSupport

/// An API key. It prints as `<redacted>` everywhere (logs, errors, metadata), so it can only leave
/// the process in its vendor's auth header. Every key made is registered with `Secrets`, so text that
/// comes back from a server is scrubbed of it wherever it goes.
package struct APIKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    package let value: String

    /// Whitespace is stripped, as the official SDK does.
    package init?(_ raw: String) {
        let trimmed = String(raw.unicodeScalars.filter { !$0.properties.isWhitespace })
        guard !trimmed.isEmpty else { return nil }
        value = trimmed
        Secrets.register(trimmed)
    }

    package var description: String { "<redacted>" }
    package var debugDescription: String { "<redacted>" }

    /// Removes the key, and every other secret the process holds, from text that might quote it back (an
    /// error echoing a header, say). The key was registered when it was made.
    package func scrub(_ text: String) -> String {
        Secrets.scrub(text)
    }
}
