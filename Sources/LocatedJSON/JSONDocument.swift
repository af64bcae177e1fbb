/// The manifest's JSON parser for the other JSON files SceneDrop reads (the model table): the same
/// strictness, depth bound and duplicate-key reporting, and every node knows where it starts.
public enum JSONDocument {
    public struct SyntaxError: Error, Sendable {
        public var message: String
        public var location: SourceLocation
    }

    public static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> JSONNode {
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        do {
            return try JSONParser.parse(bytes, start: start)
        } catch {
            throw SyntaxError(message: error.message, location: SourceLocation.of(offset: error.offset, in: bytes))
        }
    }
}
