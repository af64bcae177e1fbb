/// SceneDrop's JSON reader for every file people write (manifests, the model table): strict RFC 8259,
/// a bounded depth, duplicate keys reported, "the file ends early" told apart from other errors, and
/// every node knows where it starts.
package enum JSONDocument {
    package struct SyntaxError: Error, Sendable {
        package var message: String
        /// The byte the error is at.
        package var offset: Int
        package var location: SourceLocation
        /// The input ended inside a value: the writer may not have finished.
        package var endedEarly: Bool
    }

    /// Parses `bytes`, skipping a UTF-8 byte order mark.
    package static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> JSONNode {
        let start = hasByteOrderMark(bytes) ? 3 : 0
        do {
            return try JSONParser.parse(bytes, start: start)
        } catch {
            throw SyntaxError(
                message: error.message,
                offset: error.offset,
                location: SourceLocation.of(offset: error.offset, in: bytes),
                endedEarly: error.endedEarly
            )
        }
    }

    package static func hasByteOrderMark(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: [0xEF, 0xBB, 0xBF])
    }
}
