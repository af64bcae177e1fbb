import Foundation
import ImageGeneration

/// The `generateContent` body SceneDrop sends (docs/gemini-image-api.md §1.3): only fields the API
/// defines, `imageSize` only for models that take it. The API answers 400 "Unknown name" otherwise.
package struct GeminiRequestBody: Encodable, Sendable, Equatable {
    struct Content: Encodable, Sendable, Equatable {
        var role = "user"
        var parts: [Part]
    }

    struct Part: Encodable, Sendable, Equatable {
        var text: String
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

    package init(prompt: String, aspectRatio: String, imageSize: String?) {
        contents = [Content(parts: [Part(text: prompt)])]
        generationConfig = GenerationConfig(imageConfig: ImageConfig(aspectRatio: aspectRatio, imageSize: imageSize))
    }

    package func encoded() -> [UInt8] {
        // Synthesised encoding omits a nil imageSize, which is exactly what the API needs. Sorted keys
        // make the bytes the same every time (Linux's encoder otherwise follows hash order).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(self))) ?? []
    }
}
