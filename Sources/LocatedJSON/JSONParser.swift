/// A strict RFC 8259 parser over bytes. It exists (rather than JSONSerialization) because
/// SceneDrop must say where an error is, report duplicate keys, bound nesting depth so hostile
/// input cannot exhaust the stack, and tell "the file ends early" apart from other errors.
struct JSONParser {
    struct SyntaxError: Error {
        var message: String
        var offset: Int
        /// The input ended inside a value: the writer may not have finished.
        var endedEarly: Bool
    }

    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var index: Int

    init(bytes: [UInt8], start: Int = 0) {
        self.bytes = bytes
        self.index = start
    }

    static func parse(_ bytes: [UInt8], start: Int = 0) throws(SyntaxError) -> JSONNode {
        var parser = JSONParser(bytes: bytes, start: start)
        parser.skipWhitespace()
        if parser.index >= bytes.count {
            throw SyntaxError(
                message: "the file is empty; a manifest is a JSON object or array",
                offset: parser.index,
                endedEarly: true
            )
        }
        let node = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw parser.error("unexpected \(parser.describeCurrent()) after the end of the JSON value")
        }
        return node
    }

    private func error(_ message: String, at offset: Int? = nil) -> SyntaxError {
        SyntaxError(message: message, offset: offset ?? index, endedEarly: false)
    }

    private func endedEarly(_ what: String) -> SyntaxError {
        SyntaxError(message: "the file ends before \(what) is complete", offset: bytes.count, endedEarly: true)
    }

    private func describeCurrent() -> String {
        guard index < bytes.count else { return "end of file" }
        let byte = bytes[index]
        if byte == 0 { return "NUL byte" }
        if byte < 0x20 { return "control character U+\(hex(UInt32(byte), width: 4))" }
        if byte < 0x80 { return "character '\(Character(Unicode.Scalar(byte)))'" }
        return "non-ASCII character"
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(SyntaxError) -> JSONNode {
        guard index < bytes.count else { throw endedEarly("a value") }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "{"):
            if depth >= Self.maximumDepth {
                throw error("nesting is deeper than \(Self.maximumDepth) levels; a manifest needs 3")
            }
            return JSONNode(value: .object(try parseObject(depth: depth + 1)), offset: start)
        case UInt8(ascii: "["):
            if depth >= Self.maximumDepth {
                throw error("nesting is deeper than \(Self.maximumDepth) levels; a manifest needs 3")
            }
            return JSONNode(value: .array(try parseArray(depth: depth + 1)), offset: start)
        case UInt8(ascii: "\""):
            return JSONNode(value: .string(try parseString()), offset: start)
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return JSONNode(value: .bool(true), offset: start)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return JSONNode(value: .bool(false), offset: start)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return JSONNode(value: .null, offset: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONNode(value: .number(try parseNumber()), offset: start)
        case UInt8(ascii: "'"):
            throw error("strings must use double quotes (\"), not single quotes")
        default:
            throw error("expected a value but found \(describeCurrent())")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(SyntaxError) {
        let start = index
        let text = literal.utf8Start
        for offset in 0..<literal.utf8CodeUnitCount {
            guard index < bytes.count else { throw endedEarly("'\(literal)'") }
            if bytes[index] != text[offset] {
                throw error("expected '\(literal)'", at: start)
            }
            index += 1
        }
    }

    private mutating func parseObject(depth: Int) throws(SyntaxError) -> [JSONNode.Member] {
        index += 1  // {
        var members: [JSONNode.Member] = []
        skipWhitespace()
        guard index < bytes.count else { throw endedEarly("an object") }
        if bytes[index] == UInt8(ascii: "}") {
            index += 1
            return members
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw endedEarly("an object") }
            guard bytes[index] == UInt8(ascii: "\"") else {
                if bytes[index] == UInt8(ascii: "}") { throw error("trailing comma before '}': remove the last comma") }
                throw error("expected a field name in double quotes but found \(describeCurrent())")
            }
            let keyOffset = index
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count else { throw endedEarly("an object") }
            guard bytes[index] == UInt8(ascii: ":") else {
                throw error("expected ':' after the field name \"\(key)\" but found \(describeCurrent())")
            }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append(JSONNode.Member(key: key, keyOffset: keyOffset, value: value))
            skipWhitespace()
            guard index < bytes.count else { throw endedEarly("an object") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return members
            default:
                throw error("expected ',' or '}' after a field but found \(describeCurrent()) (missing comma?)")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(SyntaxError) -> [JSONNode] {
        index += 1  // [
        var elements: [JSONNode] = []
        skipWhitespace()
        guard index < bytes.count else { throw endedEarly("an array") }
        if bytes[index] == UInt8(ascii: "]") {
            index += 1
            return elements
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw endedEarly("an array") }
            if bytes[index] == UInt8(ascii: "]") { throw error("trailing comma before ']': remove the last comma") }
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw endedEarly("an array") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return elements
            default:
                throw error("expected ',' or ']' after an element but found \(describeCurrent()) (missing comma?)")
            }
        }
    }

    private mutating func parseNumber() throws(SyntaxError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw endedEarly("a number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) {
                throw error("numbers must not have leading zeros", at: start)
            }
        } else if isDigit(bytes[index]) {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        } else {
            throw error("invalid number", at: start)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count else { throw endedEarly("a number") }
            guard isDigit(bytes[index]) else { throw error("a digit must follow the decimal point", at: start) }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count else { throw endedEarly("a number") }
            guard isDigit(bytes[index]) else { throw error("a digit must follow the exponent", at: start) }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private mutating func parseString() throws(SyntaxError) -> String {
        index += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var runStart = index
        func flushRun(_ parser: JSONParser, _ end: Int, into view: inout String.UnicodeScalarView) {
            if end > runStart {
                view.append(contentsOf: String(decoding: parser.bytes[runStart..<end], as: UTF8.self).unicodeScalars)
            }
        }
        while true {
            guard index < bytes.count else { throw endedEarly("a string (started at this position)") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flushRun(self, index, into: &scalars)
                index += 1
                return String(scalars)
            }
            if byte < 0x20 {
                if byte == 0x0A { throw error("a string may not contain a line break; write \\n instead", at: index) }
                if byte == 0 { throw error("a string may not contain a NUL byte", at: index) }
                throw error(
                    "a string may not contain control character U+\(hex(UInt32(byte), width: 4)); escape it",
                    at: index
                )
            }
            if byte == UInt8(ascii: "\\") {
                flushRun(self, index, into: &scalars)
                index += 1
                guard index < bytes.count else { throw endedEarly("a string escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    scalars.append(try parseUnicodeEscape(at: index - 2))
                default:
                    throw error("invalid escape '\\\(Character(Unicode.Scalar(escape)))' in a string", at: index - 2)
                }
                runStart = index
                continue
            }
            index += 1
        }
    }

    /// The rest of a `\uXXXX` escape (a surrogate pair takes two), `index` just past the `u`.
    private mutating func parseUnicodeEscape(at escapeStart: Int) throws(SyntaxError) -> Unicode.Scalar {
        var code = try parseHex4()
        if (0xD800...0xDBFF).contains(code) {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else {
                throw error("\\u escape is an unpaired surrogate", at: escapeStart)
            }
            index += 2
            let low = try parseHex4()
            guard (0xDC00...0xDFFF).contains(low) else {
                throw error("\\u escape is an unpaired surrogate", at: escapeStart)
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(code) {
            throw error("\\u escape is an unpaired surrogate", at: escapeStart)
        }
        guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape", at: escapeStart) }
        return scalar
    }

    private mutating func parseHex4() throws(SyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw endedEarly("a \\u escape") }
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("a \\u escape needs four hex digits")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}

func hex(_ value: UInt32, width: Int) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
