import AsyncHTTPClient
import FakeGemini
import Foundation
import ImageGeneration
import NIOHTTP1
import OpenAIImages
import Testing

/// The OpenAI client against the fake Images API over real HTTP on loopback.
@Suite struct OpenAIClientTests {
    let key = APIKey(OpenAIEmulator.validKey)!
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 7, 7, 7]

    func request(_ model: String = "gpt-image-1") -> APIRequest {
        APIRequest(model: model, prompt: "a lighthouse", aspectRatio: "16:9", imageSize: "1536x1024", quality: "high")
    }

    @Test func sendsTheDocumentedRequestAndReadsTheImageAndItsUsage() async throws {
        let emulator = OpenAIEmulator { _ in OpenAIEmulator.image(png, input: 40, output: 6208) }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            let client = OpenAIClient(
                transport: APITransport(
                    http: .shared,
                    baseURL: server.baseURL + "/",
                    baseURLOption: "--openai-base-url"
                ),
                key: key
            )
            let answer = await client.generate(request())
            #expect(
                answer == .image(bytes: png, mimeType: nil, usage: TokenUsage(inputTokens: 40, outputImageTokens: 6208))
            )
            let sent = try #require(server.requests.first)
            #expect(sent.method == "POST" && sent.path == "/v1/images/generations")
            #expect(sent.header("authorization") == "Bearer \(OpenAIEmulator.validKey)")
            #expect(!sent.path.contains(OpenAIEmulator.validKey), "the key is never in the URL")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: Any])
            #expect(Set(body.keys) == ["model", "prompt", "size", "quality", "n", "output_format"])
            #expect(body["size"] as? String == "1536x1024" && body["quality"] as? String == "high")
            #expect(body["n"] as? Int == 1 && body["output_format"] as? String == "png")
            #expect(emulator.accepted.count == 1)
        }
    }

    /// A scene with references goes to `images/edits` as multipart: the same fields, one `image[]` part per
    /// reference in order, each with its type; an image containing the boundary's prefix is sent whole.
    @Test func referencesGoToEditsAsMultipart() async throws {
        let emulator = OpenAIEmulator { _ in OpenAIEmulator.image(png, input: 900, output: 1568) }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            let client = OpenAIClient(
                transport: APITransport(http: .shared, baseURL: server.baseURL, baseURLOption: "--openai-base-url"),
                key: key
            )
            let mika: [UInt8] =
                [0xFF, 0xD8, 0xFF] + Array("--scenedrop-not-the-boundary\r\n".utf8) + [0, 1, 2, 13, 10]
            let cup: [UInt8] = png + [9, 9]
            var ask = request("gpt-image-1-mini")
            ask.references = [
                APIReference(bytes: mika, mimeType: "image/jpeg", fileName: "mika.jpg"),
                APIReference(bytes: cup, mimeType: "image/png", fileName: "cup \"red\".png"),
            ]
            let answer = await client.generate(ask)
            #expect(
                answer
                    == .image(bytes: png, mimeType: nil, usage: TokenUsage(inputTokens: 900, outputImageTokens: 1568))
            )
            #expect(server.requests.first?.path == "/v1/images/edits")
            let call = try #require(emulator.accepted.first)
            #expect(call.images.map(\.name) == ["mika.jpg", "cup red.png"])
            #expect(call.images.map(\.type) == ["image/jpeg", "image/png"])
            #expect(call.images.map(\.bytes) == [mika, cup], "each image whole, in order")
            #expect(call.model == "gpt-image-1-mini" && call.size == "1536x1024" && call.quality == "high")
            #expect(call.prompt == "a lighthouse")
        }
    }

    /// The contract's failure mapping: 401 refuses the key for the run, 429 waits for `retry-after` (or
    /// `x-ratelimit-reset-requests`), 400 `moderation_blocked` is a safety block, 5xx is retried.
    @Test func failuresMapToTheSharedKinds() async throws {
        let answers: [String: FakeResponse] = [
            "a": OpenAIEmulator.rateLimited(retryAfter: "7"),
            "b": OpenAIEmulator.rateLimited(retryAfter: nil, resetRequests: "1m30.5s"),
            "c": OpenAIEmulator.moderationBlocked(),
            "d": OpenAIEmulator.serverError(),
            "e": OpenAIEmulator.error(
                429,
                "You exceeded your current quota",
                type: "insufficient_quota",
                code: "insufficient_quota"
            ),
        ]
        let emulator = OpenAIEmulator { call in answers[String(call.prompt.prefix(1))] ?? OpenAIEmulator.serverError() }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            let client = OpenAIClient(
                transport: APITransport(http: .shared, baseURL: server.baseURL, baseURLOption: "--openai-base-url"),
                key: key
            )
            func ask(_ prompt: String) async -> APIAnswer {
                await client.generate(
                    APIRequest(model: "gpt-image-1", prompt: prompt, aspectRatio: "1:1", imageSize: "1024x1024")
                )
            }
            guard case .failure(.http(429, _, 7, false, "rate_limit_exceeded")) = await ask("a") else {
                Issue.record("429 with retry-after")
                return
            }
            guard case .failure(.http(429, _, 90.5, false, _)) = await ask("b") else {
                Issue.record("429 with x-ratelimit-reset-requests")
                return
            }
            guard case .noImage(.safetyBlocked, let why) = await ask("c") else {
                Issue.record("moderation_blocked")
                return
            }
            #expect(why.contains("moderation_blocked"))
            guard case .failure(.http(500, _, nil, false, _)) = await ask("d") else {
                Issue.record("500")
                return
            }
            guard case .failure(.http(429, _, _, true, "insufficient_quota")) = await ask("e") else {
                Issue.record("insufficient_quota is a spent quota, not a minute's")
                return
            }
            let refused = OpenAIClient(
                transport: APITransport(http: .shared, baseURL: server.baseURL, baseURLOption: "--openai-base-url"),
                key: APIKey("sk-wrong-key-0000")!
            )
            guard case .failure(let failure) = await refused.generate(request()) else {
                Issue.record("a refused key answered")
                return
            }
            #expect(RetryPolicy().decide(failure, attempts: 1, random: 0.5) == .giveUp(.invalidAPIKey, .providerForRun))
            #expect(
                RetryPolicy().decide(.http(status: 500, message: ""), attempts: 1, random: 0.5)
                    != .giveUp(.serverError, .request)
            )
            // The probe: a known model answers, an unknown one is a 404.
            #expect(
                await client.probe(model: "gpt-image-1")
                    == .noImage(.noImage, message: "model gpt-image-1 is available")
            )
            guard case .failure(.http(404, _, _, _, _)) = await client.probe(model: "gpt-image-9") else {
                Issue.record("an unknown model")
                return
            }
        }
    }

    @Test func hostileAnswersAreFailuresNotTraps() async throws {
        let bodies: [String: FakeResponse] = [
            "a": FakeResponse(status: 200, body: Array("not json".utf8)),
            "b": FakeResponse(status: 200, body: Array(#"{"data": [{"b64_json": "%%%"}]}"#.utf8)),
            "c": FakeResponse(status: 200, body: Array(#"{"data": []}"#.utf8)),
            "d": FakeResponse(
                status: 200,
                body: Array(
                    #"{"data": [{"b64_json": "iVBORw=="}], "usage": {"input_tokens": -4, "output_tokens": 99999999999999}}"#
                        .utf8
                )
            ),
            "e": OpenAIEmulator.rateLimited(retryAfter: "nan"),
        ]
        let emulator = OpenAIEmulator { call in bodies[String(call.prompt.prefix(1))]! }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            let client = OpenAIClient(
                transport: APITransport(http: .shared, baseURL: server.baseURL, baseURLOption: "--openai-base-url"),
                key: key
            )
            func ask(_ prompt: String) async -> APIAnswer {
                await client.generate(
                    APIRequest(model: "gpt-image-1", prompt: prompt, aspectRatio: "1:1", imageSize: nil)
                )
            }
            guard case .failure(.invalidResponse) = await ask("a") else {
                Issue.record("not JSON")
                return
            }
            guard case .failure(.invalidResponse) = await ask("b") else {
                Issue.record("bad base64")
                return
            }
            guard case .noImage(.noImage, _) = await ask("c") else {
                Issue.record("no data")
                return
            }
            guard case .image(_, _, let usage) = await ask("d") else {
                Issue.record("absurd usage")
                return
            }
            #expect(usage == TokenUsage(inputTokens: 0, outputImageTokens: 1_000_000_000))
            guard case .failure(.http(429, _, nil, _, _)) = await ask("e") else {
                Issue.record("NaN delay")
                return
            }
        }
    }
}
