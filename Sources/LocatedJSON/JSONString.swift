/// Writing JSON text: the one string escaper the metadata encoder, the JSON log lines and messages
/// that quote hostile input share.
package enum JSONString {
    /// `text` as a JSON string literal.
    package static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if isInvisible(scalar) {
                    out += escape(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `text` for a terminal or a page: every character that is not visible text (C0 and C1 controls such
    /// as ESC and CSI, DEL, line and paragraph separators, bidirectional overrides) written as `\u001b`, so a
    /// file name cannot move the cursor, recolour the screen, spoof a line or reorder what is shown.
    /// Everything else, quotes and backslashes too, is left as it is.
    package static func visible(_ text: some StringProtocol) -> String {
        guard text.unicodeScalars.contains(where: isInvisible) else { return String(text) }
        var out = ""
        for scalar in text.unicodeScalars {
            if isInvisible(scalar) { out += escape(scalar) } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// Controls, separators and bidi formatting characters: what must never reach a terminal or a page raw.
    package static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }

    static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default:
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
    }

    /// `text` for a one-line message: escaped as in a JSON string (without the quotes), and cut
    /// after `limit` characters, so hostile values (newlines, megabytes) cannot blow the line up.
    package static func excerpt(_ text: String, limit: Int = 80) -> String {
        let scalars = text.unicodeScalars
        var cut = String(String.UnicodeScalarView(scalars.prefix(limit)))
        cut = String(quote(cut).dropFirst().dropLast())
        return scalars.count > limit ? cut + "…" : cut
    }
}
