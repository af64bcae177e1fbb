import Synchronization

/// Every secret this process was given (API keys, tokens, passwords), so that text which came from outside (an
/// API's error body, a peer's message) can be scrubbed of them before it is logged, stored in metadata, shown
/// on the page or used as a metric label. A server that echoes the key back must not get it written down.
///
/// Registered once where each secret is read; the log handler scrubs every line as a last guard.
package enum Secrets {
    private static let registered = Mutex<[[UInt8]]>([])

    /// What a secret is replaced with.
    package static let mask = "<redacted>"

    /// Secrets shorter than this are not registered: replacing every "abc" in every log line would garble
    /// text without protecting anything a real key or token looks like.
    package static let minimumLength = 8

    /// Adds a secret to scrub from now on. Idempotent.
    package static func register(_ secret: String) {
        let bytes = Array(secret.utf8)
        guard bytes.count >= minimumLength else { return }
        registered.withLock { all in
            if !all.contains(bytes) { all.append(bytes) }
            // Longest first, so a secret that contains another is replaced whole.
            all.sort { $0.count > $1.count }
        }
    }

    /// `text` with every registered secret replaced by `mask`.
    package static func scrub(_ text: String) -> String {
        let secrets = registered.withLock { $0 }
        guard !secrets.isEmpty else { return text }
        let bytes = Array(text.utf8)
        let scrubbed = scrub(bytes, secrets: secrets)
        return scrubbed.count == bytes.count && scrubbed == bytes ? text : String(decoding: scrubbed, as: UTF8.self)
    }

    /// `bytes` with every registered secret replaced by `mask` (a body before it is decoded or cut short: a
    /// secret cut in half by a length limit would no longer match).
    package static func scrub(_ bytes: [UInt8]) -> [UInt8] {
        let secrets = registered.withLock { $0 }
        guard !secrets.isEmpty else { return bytes }
        return scrub(bytes, secrets: secrets)
    }

    static func scrub(_ bytes: [UInt8], secrets: [[UInt8]]) -> [UInt8] {
        var text = bytes
        for secret in secrets where text.count >= secret.count {
            text = replace(secret, in: text)
        }
        return text
    }

    /// Every occurrence of `needle` replaced by the mask; one pass, no allocation when there is none.
    private static func replace(_ needle: [UInt8], in haystack: [UInt8]) -> [UInt8] {
        guard let first = needle.first else { return haystack }
        var out: [UInt8] = []
        var copiedUpTo = 0
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                if out.isEmpty { out.reserveCapacity(haystack.count) }
                out += haystack[copiedUpTo..<index]
                out += mask.utf8
                index += needle.count
                copiedUpTo = index
            } else {
                index += 1
            }
        }
        guard copiedUpTo > 0 else { return haystack }
        out += haystack[copiedUpTo...]
        return out
    }
}
