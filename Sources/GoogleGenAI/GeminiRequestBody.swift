import Foundation
import ImageGeneration

/// The `generateContent` body SceneDrop sends (docs/gemini-image-api.md §1.3): only fields the API
/// defines, `imageSize` only for models that take it. The API answers 400 "Unknown name" otherwise.
package struct GeminiRequestBody: Encodable, Sendable, Equatable {
    struct Content: Encodable, Sendable, Equatable {
        var role = "user"
        var parts: [Part]
    }

    /// A text part or an image part: exactly one of the two is set (nil fields are not encoded).
    struct Part: Encodable, Sendable, Equatable {
        /// The image's bytes, shared with the session's other requests: written out as base64 only while the
        /// body is encoded, so a request in flight holds its encoded body and nothing more.
        struct InlineData: Encodable, Sendable, Equatable {
            var mimeType: String
            var bytes: [UInt8]

            enum CodingKeys: String, CodingKey { case mimeType, data }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(Data(bytes).base64EncodedString(), forKey: .data)
                try container.encode(mimeType, forKey: .mimeType)
            }
        }

        var text: String?
        var inlineData: InlineData?
    }

    struct GenerationConfig: Encodable, Sendable, Equatable {
        var responseModalities = ["IMAGE"]
        var imageConfig: ImageConfig
    }

    struct ImageConfig: Encodable, Sendable, Equatable {
        var aspectRatio: String
        var imageSize: String?
    }

    var contents: [Content]
    var generationConfig: GenerationConfig

    /// `references`: sent as `inlineData` parts before the text, which names them in this order (contract §7).
    package init(prompt: String, aspectRatio: String, imageSize: String?, references: [APIReference] = []) {
        let images = references.map { Part(inlineData: .init(mimeType: $0.mimeType, bytes: $0.bytes)) }
        contents = [Content(parts: images + [Part(text: prompt)])]
        generationConfig = GenerationConfig(imageConfig: ImageConfig(aspectRatio: aspectRatio, imageSize: imageSize))
    }

    /// The body of a shared request, for the Developer API and Vertex AI alike.
    package init(_ request: APIRequest) {
        self.init(
            prompt: request.prompt,
            aspectRatio: request.aspectRatio,
            imageSize: request.imageSize,
            references: request.references
        )
    }

    package func encoded() -> [UInt8] {
        // Synthesised encoding omits a nil imageSize, which is exactly what the API needs. Sorted keys
        // make the bytes the same every time (Linux's encoder otherwise follows hash order).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(self))) ?? []
    }
}
