import Foundation
import Imaging
import Synchronization

/// Answers like the Gemini API (docs/gemini-image-api.md): checks the key, the model, every field
/// name, the aspect ratio and image size for the model, and then lets a scenario choose the answer.
package final class GeminiEmulator: Sendable {
    package struct Model: Sendable {
        package var aspectRatios: Set<String>
        /// Empty: the model takes no `imageSize` (sending one is an error here).
        package var imageSizes: Set<String>
        /// Input images one request may carry (docs/gemini-image-api.md: 14; 3 on 2.5 Flash Image).
        package var maxImages: Int

        package init(aspectRatios: Set<String>, imageSizes: Set<String>, maxImages: Int = 14) {
            self.aspectRatios = aspectRatios
            self.imageSizes = imageSizes
            self.maxImages = maxImages
        }
    }

    package static let validKey = "fake-gemini-key-7d1e"
    static let ratios: Set<String> = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]

    package static let standardModels: [String: Model] = [
        "gemini-3-pro-image": Model(aspectRatios: ratios, imageSizes: ["1K", "2K", "4K"]),
        "gemini-3.1-flash-image": Model(
            aspectRatios: ratios.union(["1:4", "4:1", "1:8", "8:1"]),
            imageSizes: ["512", "1K", "2K", "4K"]
        ),
        // 2.1 answers 400 to 512; Lite takes 1K only (docs/gemini-image-api.md §0).
        "gemini-nano-banana-2.1": Model(
            aspectRatios: ratios.union(["1:4", "4:1", "1:8", "8:1"]),
            imageSizes: ["1K", "2K", "4K"]
        ),
        "gemini-3.1-flash-lite-image": Model(
            aspectRatios: ratios.union(["1:4", "4:1", "1:8", "8:1"]),
            imageSizes: ["1K"]
        ),
        "gemini-2.5-flash-image": Model(aspectRatios: ratios, imageSizes: [], maxImages: 3),
    ]

    /// A valid request as the scenario sees it.
    package struct Call: Sendable {
        package var model: String
        /// 1 for the first valid request to this model, 2 for the second…
        package var number: Int
        package var prompt: String
        package var aspectRatio: String
        package var imageSize: String?
        /// The input images, decoded from base64, in the order sent (all before the text).
        package var images: [InputImage] = []
    }

    /// One `inlineData` part as received.
    package struct InputImage: Sendable, Equatable {
        package var mimeType: String
        package var bytes: [UInt8]
    }

    /// Every valid request's input images, in the order the requests came (for tests that check them).
    package var receivedImages: [(model: String, prompt: String, images: [InputImage])] {
        received.withLock { $0 }
    }
    private let received = Mutex<[(model: String, prompt: String, images: [InputImage])]>([])

    /// The API's request limit: "Request payload size exceeds the limit: 20971520 bytes."
    package static let maximumRequestBytes = 20 << 20
    static let inputMimeTypes: Set<String> = ["image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"]

    let models: [String: Model]
    let scenario: @Sendable (Call) -> FakeResponse
    private let counts = Mutex<[String: Int]>([:])
    /// The Batch API's jobs and how they behave (GeminiEmulator+Batch).
    let batches = Mutex(BatchBook())

    package init(
        models: [String: Model] = GeminiEmulator.standardModels,
        scenario: @escaping @Sendable (Call) -> FakeResponse
    ) {
        self.models = models
        self.scenario = scenario
    }

    /// models.list as the API pages it: two models a page here (whatever `pageSize` asks), so every
    /// client must follow `nextPageToken`; the key's models, plus a text model it always lists.
    func list(_ request: RecordedRequest) -> FakeResponse {
        listRequests.add(1, ordering: .relaxed)
        let names = (Array(models.keys) + ["gemini-2.5-flash"]).sorted()
        let query = request.path.split(separator: "?").dropFirst().first.map(String.init) ?? ""
        let token = query.split(separator: "&").first { $0.hasPrefix("pageToken=") }.flatMap {
            String($0.dropFirst(10)).removingPercentEncoding
        }
        let start = token.flatMap { Int($0.dropFirst("page-".count)) } ?? 0
        guard start >= 0, start <= names.count else {
            return Self.error(400, "INVALID_ARGUMENT", "Invalid page token.")
        }
        let page = names[start..<min(start + 2, names.count)]
        var body: [String: Any] = [
            "models": page.map { ["name": "models/\($0)", "supportedGenerationMethods": ["generateContent"]] }
        ]
        if start + 2 < names.count { body["nextPageToken"] = "page-\(start + 2)" }
        return FakeResponse(status: 200, body: Self.json(body))
    }

    /// models.list requests so far (each page is one).
    package var modelListRequests: Int { listRequests.load(ordering: .relaxed) }
    private let listRequests = Atomic<Int>(0)

    /// Valid requests per model so far.
    package func calls(to model: String) -> Int { counts.withLock { $0[model] ?? 0 } }

    package func handle(_ request: RecordedRequest) -> FakeResponse {
        guard let key = request.header("x-goog-api-key") else {
            return Self.error(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."
            )
        }
        guard key == Self.validKey else {
            return Self.error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                details: [
                    [
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": ["service": "generativelanguage.googleapis.com"],
                    ]
                ]
            )
        }
        let prefix = "/v1beta/models/"
        let suffix = ":generateContent"
        if request.method == "GET", request.path == "/v1beta/models" || request.path.hasPrefix("/v1beta/models?") {
            return list(request)
        }
        if request.method == "GET", request.path.hasPrefix(prefix), !request.path.contains(":") {
            let model = String(request.path.dropFirst(prefix.count))
            guard models[model] != nil else {
                return Self.error(404, "NOT_FOUND", "models/\(model) is not found for API version v1beta.")
            }
            return FakeResponse(
                status: 200,
                body: Self.json([
                    "name": "models/\(model)", "displayName": model, "supportedGenerationMethods": ["generateContent"],
                ])
            )
        }
        if let batchAnswer = handleBatch(request) { return batchAnswer }
        guard request.method == "POST", request.path.hasPrefix(prefix), request.path.hasSuffix(suffix) else {
            return Self.error(404, "NOT_FOUND", "The requested URL was not found on this server.")
        }
        let model = String(request.path.dropFirst(prefix.count).dropLast(suffix.count))
        guard models[model] != nil else {
            return Self.error(
                404,
                "NOT_FOUND",
                "models/\(model) is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."
            )
        }
        guard request.body.count <= Self.maximumRequestBytes else {
            return Self.error(
                400,
                "INVALID_ARGUMENT",
                "Request payload size exceeds the limit: \(Self.maximumRequestBytes) bytes."
            )
        }
        guard let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
            return Self.error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        }
        switch call(model: model, body: body) {
        case .success(let call): return scenario(call)
        case .failure(let refusal): return refusal.response
        }
    }

    /// A refused request: the API's 400 answer.
    struct Refusal: Error {
        var response: FakeResponse
    }

    /// Checks one generateContent body as the API does (every field name, the aspect ratio and image
    /// size for the model) and counts it as the model's next call.
    func call(model: String, body: [String: Any]) -> Result<Call, Refusal> {
        guard let spec = models[model] else {
            return .failure(
                Refusal(response: Self.error(404, "NOT_FOUND", "models/\(model) is not found for API version v1beta."))
            )
        }
        if let unknown = Self.unknownField(
            body,
            allowed: ["contents", "generationConfig", "safetySettings", "systemInstruction", "tools", "toolConfig"]
        )
            ?? Self.unknownField(
                body["generationConfig"] as? [String: Any] ?? [:],
                allowed: [
                    "responseModalities", "imageConfig", "candidateCount", "thinkingConfig", "temperature", "seed",
                ]
            )
            ?? Self.unknownField(
                (body["generationConfig"] as? [String: Any])?["imageConfig"] as? [String: Any] ?? [:],
                allowed: ["aspectRatio", "imageSize"]
            )
        {
            return .failure(
                Refusal(
                    response: Self.error(
                        400,
                        "INVALID_ARGUMENT",
                        "Invalid JSON payload received. Unknown name \"\(unknown)\": Cannot find field."
                    )
                )
            )
        }
        let imageConfig = (body["generationConfig"] as? [String: Any])?["imageConfig"] as? [String: Any] ?? [:]
        let aspect = imageConfig["aspectRatio"] as? String ?? "1:1"
        guard spec.aspectRatios.contains(aspect) else {
            return .failure(
                Refusal(response: Self.error(400, "INVALID_ARGUMENT", "Unsupported aspect ratio: \(aspect)"))
            )
        }
        let size = imageConfig["imageSize"] as? String
        if let size, !spec.imageSizes.contains(size) {
            return .failure(Refusal(response: Self.error(400, "INVALID_ARGUMENT", "Unsupported image size: \(size)")))
        }
        let contents = body["contents"] as? [[String: Any]] ?? []
        let parts = (contents.first?["parts"] as? [[String: Any]]) ?? []
        let prompt = parts.lazy.compactMap { $0["text"] as? String }.first ?? ""
        let images: [InputImage]
        switch Self.inputImages(parts, model: model, spec: spec) {
        case .success(let found): images = found
        case .failure(let refusal): return .failure(refusal)
        }
        let number = counts.withLock { counts -> Int in
            counts[model, default: 0] += 1
            return counts[model]!
        }
        received.withLock { $0.append((model, prompt, images)) }
        var call = Call(model: model, number: number, prompt: prompt, aspectRatio: aspect, imageSize: size)
        call.images = images
        return .success(call)
    }

    /// The `inlineData` parts, checked as the API checks them: a MIME type it takes, base64 that decodes, bytes
    /// of that type that decode as an image, at most the model's number of images.
    static func inputImages(_ parts: [[String: Any]], model: String, spec: Model) -> Result<[InputImage], Refusal> {
        func refuse(_ message: String) -> Result<[InputImage], Refusal> {
            .failure(Refusal(response: error(400, "INVALID_ARGUMENT", message)))
        }
        var images: [InputImage] = []
        for (index, part) in parts.enumerated() {
            if let unknown = unknownField(part, allowed: ["text", "inlineData", "inline_data", "thought"]) {
                return refuse(
                    "Invalid JSON payload received. Unknown name \"\(unknown)\" at 'contents[0].parts[\(index)]': Cannot find field."
                )
            }
            guard let data = (part["inlineData"] ?? part["inline_data"]) as? [String: Any] else { continue }
            let mimeType = (data["mimeType"] ?? data["mime_type"]) as? String ?? ""
            guard inputMimeTypes.contains(mimeType) else {
                return refuse(
                    "Unable to process input image. MIME type must be image/png, image/jpeg, image/webp, image/heic, or image/heif"
                )
            }
            guard let text = data["data"] as? String, let decoded = Data(base64Encoded: text) else {
                return refuse(
                    "Invalid value at 'contents[0].parts[\(index)].inline_data.data' (TYPE_BYTES), Base64 decoding failed"
                )
            }
            let bytes = Array(decoded)
            let declared: ImageFormat? =
                switch mimeType {
                case "image/png": .png
                case "image/jpeg": .jpeg
                case "image/webp": .webp
                default: nil
                }
            guard ImageFormat(magic: bytes) == declared, (try? ImageInspector.inspect(bytes)) != nil else {
                return refuse(
                    "Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
                )
            }
            images.append(InputImage(mimeType: mimeType, bytes: bytes))
        }
        guard images.count <= spec.maxImages else {
            return refuse("Too many input images: \(images.count); \(model) takes at most \(spec.maxImages).")
        }
        return .success(images)
    }

    static func unknownField(_ object: [String: Any], allowed: Set<String>) -> String? {
        object.keys.sorted().first { !allowed.contains($0) }
    }

    // MARK: - Answers

    package static func error(
        _ code: Int,
        _ status: String,
        _ message: String,
        details: [[String: Any]] = [],
        delay: Duration = .zero
    ) -> FakeResponse {
        var error: [String: Any] = ["code": code, "message": message, "status": status]
        if !details.isEmpty { error["details"] = details }
        return FakeResponse(status: code, body: json(["error": error]), delay: delay)
    }

    /// An image answer. `usage`: its `usageMetadata` as the API reports it (see `usage(input:image:thinking:)`);
    /// nil leaves it out, the case where SceneDrop charges the table's flat price, which most tests pin.
    package static func image(
        _ bytes: [UInt8],
        mimeType: String = "image/png",
        thoughtImage: [UInt8]? = nil,
        usage: [String: Any]? = nil,
        delay: Duration = .zero
    ) -> FakeResponse {
        var parts: [[String: Any]] = []
        if let thoughtImage {
            parts.append(["text": "Composing the scene", "thought": true])
            parts.append([
                "inlineData": ["mimeType": "image/png", "data": Data(thoughtImage).base64EncodedString()],
                "thought": true,
            ])
        }
        parts.append([
            "inlineData": ["mimeType": mimeType, "data": Data(bytes).base64EncodedString()], "thoughtSignature": "c2ln",
        ])
        var body: [String: Any] = [
            "candidates": [["content": ["role": "model", "parts": parts], "finishReason": "STOP", "index": 0]],
            "modelVersion": "fake", "responseId": "fake-\(bytes.count)",
        ]
        body["usageMetadata"] = usage
        return FakeResponse(status: 200, body: json(body), delay: delay)
    }

    /// `usageMetadata` as a thinking image model reports it (docs/gemini-image-api.md §2.4): the prompt's
    /// tokens, the image's in `candidatesTokensDetails`, one token of text beside it, and the thinking.
    package static func usage(input: Int, image: Int, text: Int = 1, thinking: Int? = nil) -> [String: Any] {
        var usage: [String: Any] = [
            "promptTokenCount": input, "candidatesTokenCount": image + text,
            "totalTokenCount": input + image + text + (thinking ?? 0),
            "promptTokensDetails": [["modality": "TEXT", "tokenCount": input]],
            "candidatesTokensDetails": [["modality": "IMAGE", "tokenCount": image]],
        ]
        usage["thoughtsTokenCount"] = thinking
        return usage
    }

    package static func textOnly(_ text: String) -> FakeResponse {
        FakeResponse(
            status: 200,
            body: json([
                "candidates": [["content": ["role": "model", "parts": [["text": text]]], "finishReason": "STOP"]]
            ])
        )
    }

    package static func imageSafety() -> FakeResponse {
        FakeResponse(
            status: 200,
            body: json([
                "candidates": [
                    [
                        "content": ["role": "model", "parts": [["text": "I can't create that image."]]],
                        "finishReason": "IMAGE_SAFETY",
                        "finishMessage":
                            "Unable to show the generated image. The image was filtered out because it violated Google's Generative AI Prohibited Use policy. You will not be charged for blocked images.",
                    ]
                ], "usageMetadata": ["candidatesTokenCount": 0],
            ])
        )
    }

    package static func promptBlocked(_ reason: String = "OTHER") -> FakeResponse {
        FakeResponse(
            status: 200,
            body: json([
                "promptFeedback": ["blockReason": reason],
                "usageMetadata": ["promptTokenCount": 10, "candidatesTokenCount": 0],
            ])
        )
    }

    package static func noImage() -> FakeResponse {
        FakeResponse(status: 200, body: json(["candidates": [["finishReason": "NO_IMAGE"]]]))
    }

    package static func rateLimited(retryDelay: String, perDay: Bool = false) -> FakeResponse {
        let quota = perDay ? "GenerateRequestsPerDayPerProjectPerModel" : "GenerateRequestsPerMinutePerProjectPerModel"
        return error(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details.",
            details: [
                [
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        [
                            "quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
                            "quotaId": quota,
                        ]
                    ],
                ],
                ["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retryDelay],
            ]
        )
    }

    package static func unavailable() -> FakeResponse {
        error(
            503,
            "UNAVAILABLE",
            "This model is currently experiencing high demand. Spikes in demand are usually temporary. Please try again later."
        )
    }

    static func json(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }
}
