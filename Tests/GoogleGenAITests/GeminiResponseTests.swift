import Foundation
import GoogleGenAI
import ImageGeneration
import Testing

private func json(_ object: Any) -> [UInt8] {
    Array(try! JSONSerialization.data(withJSONObject: object))
}

private let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]
private let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 9, 9]

private func imagePart(_ bytes: [UInt8], mime: String, thought: Bool = false) -> [String: Any] {
    var part: [String: Any] = ["inlineData": ["mimeType": mime, "data": Data(bytes).base64EncodedString()]]
    if thought { part["thought"] = true }
    return part
}

@Suite struct GeminiResponseTests {
    @Test func anImageIsTheLastNonThoughtImagePart() {
        let body = json([
            "candidates": [
                [
                    "content": [
                        "parts": [
                            ["text": "thinking about composition", "thought": true],
                            imagePart(png, mime: "image/png", thought: true),
                            ["text": "Here is your image"],
                            imagePart(jpeg, mime: "image/png"),
                        ]
                    ], "finishReason": "STOP",
                ]
            ]
        ])
        #expect(GeminiResponse.interpret(status: 200, body: body) == .image(bytes: jpeg, mimeType: "image/png"))
    }

    /// `usageMetadata` as documented (§2.4): image tokens from the IMAGE details, the rest of the candidates'
    /// count as text, thinking from `thoughtsTokenCount`; a hostile count never becomes a negative or a trap.
    @Test func theUsageIsReadAsTheTokensItIsBilledBy() {
        func usage(_ metadata: [String: Any]?) -> TokenUsage? {
            var answer: [String: Any] = [
                "candidates": [["content": ["parts": [imagePart(png, mime: "image/png")]], "finishReason": "STOP"]]
            ]
            answer["usageMetadata"] = metadata
            guard case .image(_, _, let usage) = GeminiResponse.interpret(status: 200, body: json(answer)) else {
                return nil
            }
            return usage
        }
        // The documented 3 Pro sample: 32 prompt, 1120 image, 748 thinking.
        #expect(
            usage([
                "promptTokenCount": 32, "candidatesTokenCount": 1121, "thoughtsTokenCount": 748,
                "totalTokenCount": 1901,
                "candidatesTokensDetails": [["modality": "IMAGE", "tokenCount": 1120]],
            ])
                == TokenUsage(inputTokens: 32, outputImageTokens: 1120, outputTextTokens: 1, thinkingTokens: 748)
        )
        #expect(
            usage(["promptTokenCount": 18, "candidatesTokenCount": 1290])
                == TokenUsage(inputTokens: 18, outputImageTokens: 1290),
            "no details: the candidates' tokens are the image's"
        )
        #expect(usage(nil) == nil, "no usage: the flat price applies")
        #expect(usage(["promptTokenCount": 18]) == nil, "no output count: the flat price applies")
        #expect(
            usage([
                "promptTokenCount": -5, "candidatesTokenCount": 4_000_000_000_000, "thoughtsTokenCount": -1,
                "candidatesTokensDetails": [["modality": "IMAGE", "tokenCount": 5_000_000_000_000]],
            ]) == TokenUsage(inputTokens: 0, outputImageTokens: 1_000_000_000, outputTextTokens: 0, thinkingTokens: 0)
        )
        // At Pro's prices ($2 input, $120 image, $12 text and thinking per million) that answer costs $0.143.
        let pro = ModelSpec.TokenPrices(imageOutput: 120, textOutput: 12, input: 2)
        let cost = pro.cost(
            of: TokenUsage(inputTokens: 32, outputImageTokens: 1120, outputTextTokens: 1, thinkingTokens: 748)
        )
        #expect(abs(cost - (32 * 2 + 1120 * 120 + 749 * 12) / 1e6) < 1e-12)
    }

    @Test func safetyBlocksAreNotErrors() {
        let candidate = json([
            "candidates": [
                [
                    "content": ["parts": [["text": "I can't create that."]]], "finishReason": "IMAGE_SAFETY",
                    "finishMessage": "Unable to show the generated image.",
                ]
            ]
        ])
        #expect(
            GeminiResponse.interpret(status: 200, body: candidate)
                == .noImage(.safetyBlocked, message: "IMAGE_SAFETY: Unable to show the generated image.")
        )
        let prompt = json(["promptFeedback": ["blockReason": "OTHER"], "usageMetadata": ["promptTokenCount": 10]])
        #expect(
            GeminiResponse.interpret(status: 200, body: prompt)
                == .noImage(.safetyBlocked, message: "prompt blocked (OTHER)")
        )
    }

    @Test func textOnlyAndNoImageAreClassified() {
        let text = json([
            "candidates": [["content": ["parts": [["text": "Which cat do you mean?"]]], "finishReason": "STOP"]]
        ])
        #expect(
            GeminiResponse.interpret(status: 200, body: text)
                == .noImage(.noImage, message: "no image in the answer: model said: Which cat do you mean?")
        )
        let none = json(["candidates": [["finishReason": "NO_IMAGE"]]])
        #expect(GeminiResponse.interpret(status: 200, body: none) == .noImage(.noImage, message: "NO_IMAGE"))
        #expect(
            GeminiResponse.interpret(status: 200, body: json(["candidates": []]))
                == .noImage(.noImage, message: "the response has no candidates")
        )
    }

    @Test func malformedBodiesAreFailures() {
        #expect(
            GeminiResponse.interpret(status: 200, body: Array("{\"candidates\": [".utf8))
                == .failure(.invalidResponse("the response body is not JSON"))
        )
        let badBase64 = json([
            "candidates": [["content": ["parts": [["inlineData": ["mimeType": "image/png", "data": "!!!"]]]]]]
        ])
        #expect(
            GeminiResponse.interpret(status: 200, body: badBase64)
                == .failure(.invalidResponse("the image data is not valid base64"))
        )

        // Decoded into typed fields: a field of the wrong type is an unusable answer, not a crash or a guess.
        let wrongType = json([
            "candidates": [["content": ["parts": [["inlineData": ["mimeType": "image/png", "data": 5]]]]]]
        ])
        #expect(
            GeminiResponse.interpret(status: 200, body: wrongType)
                == .failure(.invalidResponse("the response body is not a Gemini answer (a field has the wrong type)"))
        )
    }

    @Test func a429CarriesRetryInfoAndPerDayQuotas() {
        let minute = json([
            "error": [
                "code": 429, "message": "You exceeded your current quota", "status": "RESOURCE_EXHAUSTED",
                "details": [
                    [
                        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                        "violations": [["quotaId": "GenerateRequestsPerMinutePerProjectPerModel"]],
                    ],
                    ["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "29.72s"],
                ],
            ]
        ])
        #expect(
            GeminiResponse.interpret(status: 429, body: minute)
                == .failure(
                    .http(
                        status: 429,
                        message: "429 RESOURCE_EXHAUSTED: You exceeded your current quota",
                        retryDelay: 29.72
                    )
                )
        )
        let day = json([
            "error": [
                "code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED",
                "details": [
                    [
                        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                        "violations": [
                            ["quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"],
                            ["quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"],
                        ],
                    ],
                    ["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "47s"],
                ],
            ]
        ])
        #expect(
            GeminiResponse.interpret(status: 429, body: day)
                == .failure(
                    .http(status: 429, message: "429 RESOURCE_EXHAUSTED: quota", retryDelay: 47, quotaPerDay: true)
                )
        )
    }

    @Test func anInvalidKeyIsRecognisedByItsErrorInfo() {
        let body = json([
            "error": [
                "code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
                "details": [
                    [
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                    ]
                ],
            ]
        ])
        guard
            case .failure(.http(400, _, nil, false, "API_KEY_INVALID")) = GeminiResponse.interpret(
                status: 400,
                body: body
            )
        else {
            Issue.record("not read as API_KEY_INVALID")
            return
        }
    }

    @Test func errorsWrappedInAnArrayAndNonJSONBodiesAreRead() {
        let wrapped = json([["error": ["code": 503, "message": "overloaded", "status": "UNAVAILABLE"]]])
        #expect(
            GeminiResponse.interpret(status: 503, body: wrapped)
                == .failure(.http(status: 503, message: "503 UNAVAILABLE: overloaded"))
        )
        #expect(
            GeminiResponse.interpret(status: 502, body: Array("<html>Bad Gateway</html>".utf8))
                == .failure(.http(status: 502, message: "502: <html>Bad Gateway</html>"))
        )
    }
}

@Suite struct GeminiRequestBodyTests {
    @Test func onlyDefinedFieldsAreSent() throws {
        let withSize = try #require(
            try JSONSerialization.jsonObject(
                with: Data(GeminiRequestBody(prompt: "a cat", aspectRatio: "16:9", imageSize: "2K").encoded())
            ) as? [String: Any]
        )
        #expect(Set(withSize.keys) == ["contents", "generationConfig"])
        let config = try #require(withSize["generationConfig"] as? [String: Any])
        #expect(config["responseModalities"] as? [String] == ["IMAGE"])
        #expect(config["imageConfig"] as? [String: String] == ["aspectRatio": "16:9", "imageSize": "2K"])
        let contents = try #require(withSize["contents"] as? [[String: Any]])
        #expect(contents.first?["role"] as? String == "user")
        #expect((contents.first?["parts"] as? [[String: String]]) == [["text": "a cat"]])

        let noSize = try #require(
            try JSONSerialization.jsonObject(
                with: Data(GeminiRequestBody(prompt: "a cat", aspectRatio: "1:1", imageSize: nil).encoded())
            ) as? [String: Any]
        )
        #expect(
            ((noSize["generationConfig"] as? [String: Any])?["imageConfig"] as? [String: String]) == [
                "aspectRatio": "1:1"
            ]
        )
    }

    /// References go as `inlineData` parts before the one text part (contract §7).
    @Test func referencesAreInlineDataPartsBeforeTheText() throws {
        var request = APIRequest(model: "m", prompt: "Image 1: Mika.\n\na cat", aspectRatio: "16:9", imageSize: "1K")
        request.references = [
            APIReference(bytes: [0xFF, 0xD8, 0xFF], mimeType: "image/jpeg", fileName: "mika.jpg"),
            APIReference(bytes: [0x89, 0x50], mimeType: "image/png", fileName: "cafe.png"),
        ]
        let body = try #require(
            try JSONSerialization.jsonObject(with: Data(GeminiRequestBody(request).encoded())) as? [String: Any]
        )
        let parts = try #require(((body["contents"] as? [[String: Any]])?.first)?["parts"] as? [[String: Any]])
        #expect(parts.count == 3)
        #expect((parts[0]["inlineData"] as? [String: Any])?["mimeType"] as? String == "image/jpeg")
        #expect((parts[0]["inlineData"] as? [String: Any])?["data"] as? String == "/9j/")
        #expect((parts[1]["inlineData"] as? [String: Any])?["mimeType"] as? String == "image/png")
        #expect(parts[0]["text"] == nil)
        #expect(parts[2]["text"] as? String == "Image 1: Mika.\n\na cat")
        #expect(parts[2]["inlineData"] == nil)
    }

    /// The inline batch limit counts the references each item carries: a scene with four 3 MB references
    /// (16 MB as base64) fills a 19 MB job alone; with one, four scenes fit.
    @Test func theBatchSplitCountsTheReferences() {
        var request = APIRequest(model: "m", prompt: "a cat", aspectRatio: "16:9", imageSize: "1K")
        request.references = (1...4).map { _ in
            APIReference(bytes: [UInt8](repeating: 7, count: 3 << 20), mimeType: "image/jpeg", fileName: "r.jpg")
        }
        let item = BatchRequestBody.Item(key: "scene-1", request: GeminiRequestBody(request))
        #expect(item.encodedSize > 4 * (3 << 20) * 4 / 3, "base64 of every reference")
        let parts = BatchPolicy().split(sizes: Array(repeating: item.encodedSize, count: 5))
        #expect(parts.map(\.count) == [1, 1, 1, 1, 1])
        request.references = Array(request.references.prefix(1))
        let small = BatchRequestBody.Item(key: "scene-1", request: GeminiRequestBody(request)).encodedSize
        #expect(BatchPolicy().split(sizes: Array(repeating: small, count: 5)).map(\.count) == [4, 1])
    }
}
