import LocatedJSON

/// Text into HTML. Everything a manifest or a file name can carry goes through `escape`, in element
/// content and in quoted attributes alike; nothing from outside is ever written raw.
enum HTML {
    static func escape(_ text: some StringProtocol) -> String {
        substituting(text) { scalar in
            switch scalar {
            case "&": return "&amp;"
            case "<": return "&lt;"
            case ">": return "&gt;"
            case "\"": return "&quot;"
            case "'": return "&#39;"
            case "`": return "&#96;"
            // ESC, newlines in names, bidi overrides: shown as escapes, never carried raw into the page.
            default: return JSONString.isInvisible(scalar) ? JSONString.visible(String(scalar)) : nil
            }
        }
    }

    /// `text` with each scalar `replacement` names replaced by what it returns.
    static func substituting(_ text: some StringProtocol, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let replaced = replacement(scalar) { out += replaced } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// A path segment for a link: percent-encodes everything but unreserved characters, so a session
    /// name cannot add a segment, a query or a fragment.
    static func segment(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return out
    }
}
