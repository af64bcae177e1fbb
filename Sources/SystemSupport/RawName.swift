/// A file name exactly as its folder holds it: bytes. Linux names are bytes, not text, and two kinds of inbox
/// name break any code that keys files by `String`: a name that is not UTF-8 (Latin-1 from an old SMB client)
/// does not survive decoding, and two spellings of one text (`résumé.json` in NFC and in NFD, as Linux and
/// macOS clients write it) are one `String` (Swift compares canonically) but two files. A `RawName` is equal
/// to another only when their bytes are, and reaches system calls byte for byte.
package struct RawName: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    package let bytes: [UInt8]

    package init(bytes: some Sequence<UInt8>) {
        self.bytes = Array(bytes)
    }

    /// The name a `String` is spelled with (its UTF-8, in whatever normal form it holds).
    package init(_ text: String) {
        bytes = Array(text.utf8)
    }

    package init(stringLiteral value: String) {
        self.init(value)
    }

    /// Whether the bytes are UTF-8, so that `text` holds them exactly.
    package var isUTF8: Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }

    /// The name as text, for messages, metadata and the names SceneDrop gives its own files: the name itself
    /// when it is UTF-8; otherwise each byte that is not part of a UTF-8 character written `\xNN`
    /// (`caf\xE9-l1.json`), which shows what is wrong and is a valid name of its own.
    package var text: String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var result = ""
        var index = 0
        while index < bytes.count {
            let length = Self.characterLength(bytes, at: index)
            if length > 0 {
                result += String(decoding: bytes[index..<index + length], as: UTF8.self)
                index += length
            } else {
                result += "\\x" + Self.hex(bytes[index])
                index += 1
            }
        }
        return result
    }

    package var description: String { text }

    package static func < (lhs: RawName, rhs: RawName) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// Calls `body` with the name as a NUL-terminated C string (a name never holds a NUL).
    package func withCString<Result>(_ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        try (bytes.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// The length of the well-formed UTF-8 character at `index`, or 0 when the byte there does not start one.
    static func characterLength(_ bytes: [UInt8], at index: Int) -> Int {
        let first = bytes[index]
        let length: Int
        switch first {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }
        return String(validating: bytes[index..<index + length], as: UTF8.self) == nil ? 0 : length
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
