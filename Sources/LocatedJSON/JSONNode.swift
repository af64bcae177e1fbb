/// A parsed JSON value that remembers where it starts in the source, so every validation
/// error can point at a line and column.
package struct JSONNode: Sendable {
    package enum Value: Sendable {
        case null
        case bool(Bool)
        /// The number's source text, validated against the JSON grammar.
        case number(String)
        case string(String)
        case array([JSONNode])
        /// Members in source order; duplicate keys are kept so the validator can report them.
        case object([Member])
    }

    package struct Member: Sendable {
        package var key: String
        package var keyOffset: Int
        package var value: JSONNode
    }

    package var value: Value
    /// Byte offset of the value's first character.
    package var offset: Int

    package var typeName: String {
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
package struct SourceLocation: Sendable, Equatable, Codable {
    package var line: Int
    package var column: Int

    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// Converts a byte offset into a line and column by one scan of the text before it: for a single
    /// lookup. Many lookups in one document go through a `SourceLocator`.
    package static func of(offset: Int, in bytes: [UInt8]) -> SourceLocation {
        var here = SourceLocation(line: 1, column: 1)
        for byte in bytes.prefix(max(0, offset)) { here.advance(over: byte) }
        return here
    }
}
