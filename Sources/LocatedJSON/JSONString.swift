/// Writing JSON text: the one string escaper the metadata encoder, the JSON log lines and messages
/// that quote hostile input share.
public enum JSONString {
    /// `text` as a JSON string literal.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `text` for a one-line message: escaped as in a JSON string (without the quotes), and cut
    /// after `limit` characters, so hostile values (newlines, megabytes) cannot blow the line up.
    public static func excerpt(_ text: String, limit: Int = 80) -> String {
        let scalars = text.unicodeScalars
        var cut = String(String.UnicodeScalarView(scalars.prefix(limit)))
        cut = String(quote(cut).dropFirst().dropLast())
        return scalars.count > limit ? cut + "…" : cut
    }
}
