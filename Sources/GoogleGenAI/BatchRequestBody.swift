import Foundation
import ImageGeneration

/// The `batchGenerateContent` body (docs/gemini-image-api.md, "Batch API"): inline requests, each the
/// same `generateContent` body an interactive request sends, keyed by `metadata.key`.
package struct BatchRequestBody: Encodable, Sendable, Equatable {
    package struct Item: Encodable, Sendable, Equatable {
        struct Metadata: Encodable, Sendable, Equatable { var key: String }
        var request: GeminiRequestBody
        var metadata: Metadata

        package init(key: String, request: GeminiRequestBody) {
            self.request = request
            self.metadata = Metadata(key: key)
        }

        /// The item's size in the body, for splitting jobs under the inline limit.
        package var encodedSize: Int { (try? Self.encoder().encode(self).count) ?? 0 }

        /// Sorted keys: the same bytes every time.
        static func encoder() -> JSONEncoder {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return encoder
        }
    }

    struct Batch: Encodable, Sendable, Equatable {
        struct InputConfig: Encodable, Sendable, Equatable {
            struct Requests: Encodable, Sendable, Equatable { var requests: [Item] }
            var requests: Requests
        }

        var displayName: String
        var inputConfig: InputConfig
    }

    var batch: Batch

    package init(displayName: String, items: [Item]) {
        batch = Batch(displayName: displayName, inputConfig: .init(requests: .init(requests: items)))
    }

    package func encoded() -> [UInt8] {
        (try? Array(Item.encoder().encode(self))) ?? []
    }
}
