import Foundation

/// One encoder configuration for every file SceneDrop writes, so they read alike: keys in the
/// contract's order, two-space indentation, a final newline.
package enum MetadataCoding {
    package static func encode(_ value: some Encodable) throws -> [UInt8] {
        try OrderedJSONEncoder().encode(value)
    }

    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
