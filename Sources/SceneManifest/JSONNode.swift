/// A parsed JSON value that remembers where it starts in the source, so every validation
/// error can point at a line and column.
public struct JSONNode: Sendable {
    public enum Value: Sendable {
        case null
        case bool(Bool)
        /// The number's source text, validated against the JSON grammar.
        case number(String)
        case string(String)
        case array([JSONNode])
        /// Members in source order; duplicate keys are kept so the validator can report them.
        case object([Member])
    }

    public struct Member: Sendable {
        public var key: String
        public var keyOffset: Int
        public var value: JSONNode
    }

    public var value: Value
    /// Byte offset of the value's first character.
    public var offset: Int

    public var typeName: String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A position in the source text: 1-based line and column (columns count characters, not bytes).
public struct SourceLocation: Sendable, Equatable, Codable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// Converts a byte offset into a line and column by one scan of the text before it.
    static func of(offset: Int, in bytes: [UInt8]) -> SourceLocation {
        var line = 1
        var column = 1
        var index = 0
        let end = min(offset, bytes.count)
        while index < end {
            let byte = bytes[index]
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                // Count characters: UTF-8 continuation bytes do not start a new column.
                column += 1
            }
            index += 1
        }
        return SourceLocation(line: line, column: column)
    }
}
