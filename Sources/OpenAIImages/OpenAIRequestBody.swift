import Foundation
import ImageGeneration

/// The `images/generations` body (contract §11): `model`, `prompt`, `size`, `quality`, `n` of 1 and
/// `output_format`. Nothing else: a server that speaks the API strictly refuses fields it lacks.
package struct OpenAIRequestBody: Sendable, Equatable {
    package var model: String
    package var prompt: String
    /// `WxH`, one of the model's sizes.
    package var size: String?
    /// `low`, `medium` or `high`.
    package var quality: String?

    package init(model: String, prompt: String, size: String?, quality: String?) {
        self.model = model
        self.prompt = prompt
        self.size = size
        self.quality = quality
    }

    package init(_ request: APIRequest) {
        self.init(model: request.model, prompt: request.prompt, size: request.imageSize, quality: request.quality)
    }

    /// The fields as `images/edits` takes them: form fields, in a fixed order.
    package var fields: [(String, String)] {
        var fields = [("model", model), ("prompt", prompt), ("n", "1"), ("output_format", "png")]
        if let size { fields.append(("size", size)) }
        if let quality { fields.append(("quality", quality)) }
        return fields
    }

    package func encoded() -> [UInt8] {
        var object: [String: Any] = ["model": model, "prompt": prompt, "n": 1, "output_format": "png"]
        object["size"] = size
        object["quality"] = quality
        // Sorted keys: the same request is the same bytes (tests compare them).
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }
}
