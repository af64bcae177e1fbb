import Foundation
import Synchronization

/// The OpenAI Images API as the documented one answers (for a `FakeGeminiServer`, which speaks only HTTP):
/// `POST /v1/images/generations` with `Authorization: Bearer`, a JSON body of the documented fields only,
/// `data[0].b64_json` and `usage`; the error envelope `{"error": {"message", "type", "param", "code"}}`
/// for a refused key (401), a rate limit (429 with `retry-after` and `x-ratelimit-reset-requests`), a
/// moderation block (400 `moderation_blocked`) and server errors; `GET /v1/models/{id}`.
package final class OpenAIEmulator: Sendable {
    package static let validKey = "sk-fake-openai-key-93c2"
    package static let models: [String: Set<String>] = [
        "gpt-image-1": ["1024x1024", "1536x1024", "1024x1536", "auto"],
        "gpt-image-1-mini": ["1024x1024", "1536x1024", "1024x1536", "auto"],
    ]
    static let fields: Set<String> = [
        "model", "prompt", "size", "quality", "n", "output_format", "background", "moderation",
        "output_compression", "user",
    ]

    /// One accepted generation request.
    package struct Call: Sendable {
        package var model: String
        package var prompt: String
        package var size: String?
        package var quality: String?
        package var number: Int
        /// `images/edits` only: the `image[]` parts as received, in order (file name, type, bytes).
        package var images: [(name: String, type: String, bytes: [UInt8])] = []
    }

    let scenario: @Sendable (Call) -> FakeResponse
    private let calls = Mutex<[Call]>([])

    package init(scenario: @escaping @Sendable (Call) -> FakeResponse) {
        self.scenario = scenario
    }

    package var accepted: [Call] { calls.withLock { $0 } }

    package func handle(_ request: RecordedRequest) -> FakeResponse {
        guard request.header("authorization") == "Bearer \(Self.validKey)" else {
            return Self.error(
                401,
                "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                type: "invalid_request_error",
                code: "invalid_api_key"
            )
        }
        if request.method == "GET", request.path.hasPrefix("/v1/models/") {
            let id = String(request.path.dropFirst("/v1/models/".count))
            guard Self.models[id] != nil else {
                return Self.error(
                    404,
                    "The model '\(id)' does not exist",
                    type: "invalid_request_error",
                    code: "model_not_found"
                )
            }
            return FakeResponse(status: 200, body: Self.json(["id": id, "object": "model", "owned_by": "openai"]))
        }
        if request.method == "POST", request.path == "/v1/images/edits" { return edit(request) }
        guard request.method == "POST", request.path == "/v1/images/generations" else {
            return Self.error(
                404,
                "Invalid URL (\(request.method) \(request.path))",
                type: "invalid_request_error",
                code: nil
            )
        }
        guard request.header("content-type")?.hasPrefix("application/json") == true,
            let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
        else {
            return Self.error(
                400,
                "We could not parse the JSON body of your request.",
                type: "invalid_request_error",
                code: nil
            )
        }
        if let unknown = body.keys.first(where: { !Self.fields.contains($0) }) {
            return Self.error(
                400,
                "Unrecognized request argument supplied: \(unknown)",
                type: "invalid_request_error",
                code: nil
            )
        }
        guard let model = body["model"] as? String, let sizes = Self.models[model] else {
            return Self.error(404, "The model does not exist", type: "invalid_request_error", code: "model_not_found")
        }
        guard let prompt = body["prompt"] as? String, !prompt.isEmpty else {
            return Self.error(400, "Missing required parameter: 'prompt'.", type: "invalid_request_error", code: nil)
        }
        let size = body["size"] as? String
        if let size, !sizes.contains(size) {
            return Self.error(
                400,
                "Invalid value: '\(size)'. Supported values are: \(sizes.sorted())",
                type: "invalid_request_error",
                code: "invalid_value"
            )
        }
        let quality = body["quality"] as? String
        if let quality, !["low", "medium", "high", "auto"].contains(quality) {
            return Self.error(400, "Invalid value: '\(quality)'.", type: "invalid_request_error", code: "invalid_value")
        }
        if let n = body["n"] as? Int, n != 1 {
            return Self.error(400, "n must be 1 here", type: "invalid_request_error", code: nil)
        }
        let call = calls.withLock { calls in
            let call = Call(model: model, prompt: prompt, size: size, quality: quality, number: calls.count + 1)
            calls.append(call)
            return call
        }
        return scenario(call)
    }

    /// `images/edits` as the documented one takes it: `multipart/form-data` with the generation fields as
    /// form fields and one `image[]` part per input image (PNG, JPEG or WebP, at most 16).
    func edit(_ request: RecordedRequest) -> FakeResponse {
        guard let type = request.header("content-type"), type.hasPrefix("multipart/form-data"),
            let boundary = type.components(separatedBy: "boundary=").last, !boundary.isEmpty,
            let parts = Self.multipart(request.body, boundary: boundary)
        else {
            return Self.error(400, "Invalid multipart body.", type: "invalid_request_error", code: nil)
        }
        var fields: [String: String] = [:]
        var images: [(name: String, type: String, bytes: [UInt8])] = []
        for part in parts {
            if part.name == "image[]" {
                guard ["image/png", "image/jpeg", "image/webp"].contains(part.type ?? ""), !part.body.isEmpty else {
                    return Self.error(
                        400,
                        "Invalid image file or mode for image \(images.count + 1).",
                        type: "invalid_request_error",
                        code: "invalid_image_file"
                    )
                }
                images.append((part.fileName ?? "", part.type ?? "", part.body))
            } else if Self.fields.contains(part.name) {
                fields[part.name] = String(decoding: part.body, as: UTF8.self)
            } else {
                return Self.error(
                    400,
                    "Unrecognized request argument supplied: \(part.name)",
                    type: "invalid_request_error",
                    code: nil
                )
            }
        }
        guard !images.isEmpty, images.count <= 16 else {
            return Self.error(
                400,
                "Between 1 and 16 images are needed (got \(images.count)).",
                type: "invalid_request_error",
                code: nil
            )
        }
        guard let model = fields["model"], let sizes = Self.models[model] else {
            return Self.error(404, "The model does not exist", type: "invalid_request_error", code: "model_not_found")
        }
        guard let prompt = fields["prompt"], !prompt.isEmpty else {
            return Self.error(400, "Missing required parameter: 'prompt'.", type: "invalid_request_error", code: nil)
        }
        if let size = fields["size"], !sizes.contains(size) {
            return Self.error(400, "Invalid value: '\(size)'.", type: "invalid_request_error", code: "invalid_value")
        }
        let call = calls.withLock { calls in
            var call = Call(
                model: model,
                prompt: prompt,
                size: fields["size"],
                quality: fields["quality"],
                number: calls.count + 1
            )
            call.images = images
            calls.append(call)
            return call
        }
        return scenario(call)
    }

    struct Part {
        var name: String
        var fileName: String?
        var type: String?
        var body: [UInt8]
    }

    /// The parts of a multipart body, or nil when it is not one.
    static func multipart(_ body: [UInt8], boundary: String) -> [Part]? {
        let delimiter = Array("--\(boundary)".utf8)
        var starts: [Int] = []
        var index = 0
        while index + delimiter.count <= body.count {
            if body[index..<index + delimiter.count].elementsEqual(delimiter) {
                starts.append(index)
                index += delimiter.count
            } else {
                index += 1
            }
        }
        guard starts.count >= 2 else { return nil }
        var parts: [Part] = []
        for (start, end) in zip(starts, starts.dropFirst()) {
            // Each part: CRLF after the delimiter, headers, a blank line, the body, CRLF before the next.
            let chunk = Array(body[(start + delimiter.count + 2)..<(end - 2)])
            guard
                let split = (0..<max(0, chunk.count - 3)).first(where: {
                    chunk[$0..<$0 + 4].elementsEqual([13, 10, 13, 10])
                })
            else { return nil }
            let headers = String(decoding: chunk[..<split], as: UTF8.self).components(separatedBy: "\r\n")
            var part = Part(name: "", fileName: nil, type: nil, body: Array(chunk[(split + 4)...]))
            for header in headers {
                let lower = header.lowercased()
                if lower.hasPrefix("content-disposition:") {
                    for item in header.components(separatedBy: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                        if item.hasPrefix("name=") {
                            part.name = String(item.dropFirst(5)).trimmingCharacters(in: ["\""])
                        }
                        if item.hasPrefix("filename=") {
                            part.fileName = String(item.dropFirst(9)).trimmingCharacters(in: ["\""])
                        }
                    }
                } else if lower.hasPrefix("content-type:") {
                    part.type = String(header.dropFirst("content-type:".count)).trimmingCharacters(in: .whitespaces)
                }
            }
            parts.append(part)
        }
        return parts
    }

    // MARK: Answers

    /// An image answer: `usage` as gpt-image-1 reports it (input tokens, output image tokens).
    package static func image(
        _ bytes: [UInt8],
        input: Int = 50,
        output: Int = 272,
        delay: Duration = .zero
    ) -> FakeResponse {
        FakeResponse(
            status: 200,
            body: json([
                "created": 1_795_060_800,
                "data": [["b64_json": Data(bytes).base64EncodedString()]],
                "usage": [
                    "input_tokens": input, "output_tokens": output, "total_tokens": input + output,
                    "input_tokens_details": ["text_tokens": input, "image_tokens": 0],
                ],
            ]),
            delay: delay
        )
    }

    package static func rateLimited(retryAfter: String?, resetRequests: String? = nil) -> FakeResponse {
        var response = error(
            429,
            "Rate limit reached for gpt-image-1 in organization org-fake on images per minute (IPM): Limit 5, Used 5.",
            type: "requests",
            code: "rate_limit_exceeded"
        )
        response.headers["retry-after"] = retryAfter
        response.headers["x-ratelimit-reset-requests"] = resetRequests
        return response
    }

    package static func moderationBlocked() -> FakeResponse {
        error(
            400,
            "Your request was rejected as a result of our safety system.",
            type: "image_generation_user_error",
            code: "moderation_blocked"
        )
    }

    package static func serverError() -> FakeResponse {
        error(
            500,
            "The server had an error while processing your request. Sorry about that!",
            type: "server_error",
            code: nil
        )
    }

    package static func error(_ status: Int, _ message: String, type: String, code: String?) -> FakeResponse {
        FakeResponse(
            status: status,
            body: json([
                "error": [
                    "message": message, "type": type, "param": NSNull(), "code": code.map { $0 as Any } ?? NSNull(),
                ]
            ])
        )
    }

    static func json(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }
}
