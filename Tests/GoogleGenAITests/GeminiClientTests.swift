import AsyncHTTPClient
import FakeGemini
import Foundation
import GoogleGenAI
import ImageGeneration
import TestSupport
import Testing

private let key = APIKey("test-key-123")!

private func imageAnswer(_ bytes: [UInt8]) -> [UInt8] {
    Array(
        try! JSONSerialization.data(withJSONObject: [
            "candidates": [
                [
                    "content": [
                        "parts": [
                            ["inlineData": ["mimeType": "image/png", "data": Data(bytes).base64EncodedString()]]
                        ]
                    ], "finishReason": "STOP",
                ]
            ]
        ])
    )
}

@Suite struct GeminiClientTests {
    @Test func sendsTheDocumentedRequestAndReadsTheImage() async throws {
        try await withFakeGemini({ _ in FakeResponse(status: 200, body: imageAnswer([1, 2, 3])) }) { server in
            let client = GeminiClient(http: .shared, baseURL: server.baseURL + "/", key: key)
            let answer = await client.generate(
                model: "gemini-3.1-flash-image",
                body: GeminiRequestBody(prompt: "a cat", aspectRatio: "16:9", imageSize: "1K")
            )
            #expect(answer == .image(bytes: [1, 2, 3], mimeType: "image/png"))
            let request = try #require(server.requests.first)
            #expect(request.method == "POST")
            #expect(request.path == "/v1beta/models/gemini-3.1-flash-image:generateContent")
            #expect(request.header("x-goog-api-key") == "test-key-123")
            #expect(!request.path.contains("test-key-123"), "the key is never in the URL")
            #expect(request.header("content-type") == "application/json")
            #expect(request.body == GeminiRequestBody(prompt: "a cat", aspectRatio: "16:9", imageSize: "1K").encoded())
        }
    }

    @Test func theDeadlineCoversTheWholeAnswer() async throws {
        // The server would answer after 120 s; the 400 ms deadline must end the call long before (the
        // bound below is loose: a loaded CI machine took 22 s to get here).
        try await withFakeGemini({ _ in FakeResponse(status: 200, body: imageAnswer([1]), delay: .seconds(120)) }) {
            server in
            let client = GeminiClient(http: .shared, baseURL: server.baseURL, key: key, timeout: .milliseconds(400))
            let started = ContinuousClock.now
            let answer = await client.generate(
                model: "m",
                body: GeminiRequestBody(prompt: "p", aspectRatio: "1:1", imageSize: nil)
            )
            #expect(answer == .failure(.timeout))
            #expect(ContinuousClock.now - started < .seconds(60))
        }
    }

    /// A request cancelled while out (shutdown) is reported as cancelled, never as a timeout the model
    /// would be blamed for, and the policy neither retries it nor gives up with a reason.
    @Test func aCancelledRequestIsCancellationNotATimeout() async throws {
        try await withFakeGemini({ _ in FakeResponse(status: 200, body: imageAnswer([1]), delay: .seconds(120)) }) {
            server in
            let client = GeminiClient(http: .shared, baseURL: server.baseURL, key: key, timeout: .seconds(600))
            let request = Task {
                await client.generate(
                    model: "m",
                    body: GeminiRequestBody(prompt: "p", aspectRatio: "1:1", imageSize: nil)
                )
            }
            try await waitUntil("the request at the fake API") { !server.requests.isEmpty }
            request.cancel()
            let answer = await request.value
            #expect(answer == .failure(.cancelled))
            #expect(answer.statusClass == "cancelled")
            #expect(RetryPolicy().decide(.cancelled, attempts: 1, random: 0.5) == .stop)
        }
    }

    @Test func anOversizedBodyIsRefused() async throws {
        try await withFakeGemini({ _ in
            FakeResponse(status: 200, body: imageAnswer([UInt8](repeating: 7, count: 10_000)))
        }) { server in
            let client = GeminiClient(http: .shared, baseURL: server.baseURL, key: key, maxBodyBytes: 2_000)
            let answer = await client.generate(
                model: "m",
                body: GeminiRequestBody(prompt: "p", aspectRatio: "1:1", imageSize: nil)
            )
            #expect(answer == .failure(.invalidResponse("the response body is larger than 2000 bytes")))
        }
    }

    @Test func aTruncatedBodyIsABrokenConnectionAndARefusedOneUnreachable() async throws {
        let server = try await FakeGeminiServer.start { _ in
            FakeResponse(status: 200, body: imageAnswer([UInt8](repeating: 1, count: 5_000)), truncateAfter: 100)
        }
        let client = GeminiClient(http: .shared, baseURL: server.baseURL, key: key)
        guard
            case .failure(.connection(let message)) = await client.generate(
                model: "m",
                body: GeminiRequestBody(prompt: "p", aspectRatio: "1:1", imageSize: nil)
            )
        else {
            Issue.record("a truncated body is not a connection failure")
            return
        }
        #expect(!message.contains("test-key-123"))
        await server.shutdown()
        let started = ContinuousClock.now
        let answer = try await APITransport.withHTTPClient { http in
            let refused = GeminiClient(http: http, baseURL: server.baseURL, key: key)
            return await refused.generate(
                model: "m",
                body: GeminiRequestBody(prompt: "p", aspectRatio: "1:1", imageSize: nil)
            )
        }
        // A refused connection is the endpoint's fault, not the model's, and the message names the cause.
        guard case .failure(.unreachable(let cause)) = answer else {
            Issue.record("a refused connection is not an unreachable endpoint: \(answer)")
            return
        }
        #expect(cause == "cannot connect to \(server.baseURL.dropFirst("http://".count)): connection refused")
        #expect(
            ContinuousClock.now - started < .seconds(30),
            "a refused connection does not wait for the 60 s deadline"
        )
    }

    /// AsyncHTTPClient allows 8 HTTP/1.1 connections per host by default, which quietly capped the daemon's
    /// parallel requests to a plain-HTTP endpoint; the client SceneDrop builds takes `--concurrency` of them.
    @Test func aClientForSixteenCallsKeepsSixteenRequestsInFlight() async throws {
        // Every answer is held until twelve requests have arrived: eight connections would never get there.
        try await withFakeGemini({ _ in
            FakeResponse(status: 200, body: imageAnswer([1]), holdUntilGenerateRequests: 12)
        }) { server in
            let answers = try await APITransport.withHTTPClient(connections: 16) { http in
                let client = GeminiClient(http: http, baseURL: server.baseURL, key: key)
                return await withTaskGroup(of: APIAnswer.self) { group in
                    for _ in 0..<12 {
                        group.addTask {
                            await client.generate(
                                model: "m",
                                body: GeminiRequestBody(prompt: "p", aspectRatio: "1:1", imageSize: nil)
                            )
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
            }
            #expect(answers.allSatisfy { $0 == .image(bytes: [1], mimeType: "image/png") })
            #expect(server.peakConcurrency == 12)
        }
    }

    @Test func errorStatusesReachTheRetryPolicy() async throws {
        try await withFakeGemini({ _ in
            FakeResponse(
                status: 503,
                body: Array(#"{"error": {"code": 503, "message": "high demand", "status": "UNAVAILABLE"}}"#.utf8)
            )
        }) { server in
            let client = GeminiClient(http: .shared, baseURL: server.baseURL, key: key)
            #expect(
                await client.generate(
                    model: "m",
                    body: GeminiRequestBody(prompt: "p", aspectRatio: "1:1", imageSize: nil)
                )
                    == .failure(.http(status: 503, message: "503 UNAVAILABLE: high demand"))
            )
        }
    }

    @Test func theKeyNeverPrints() {
        #expect("\(key)" == "<redacted>")
        #expect(String(reflecting: key) == "<redacted>")
        #expect(key.scrub("GET /?key=test-key-123 failed") == "GET /?key=<redacted> failed")
        #expect(APIKey("  \n") == nil)
    }

    @Test func unreachableMessagesNameTheCause() {
        #expect(
            APITransport.unreachableMessage(
                host: "generativelanguage.googleapis.com",
                port: 443,
                dnsError: "Name or service not known",
                connectError: nil
            )
                == "cannot resolve generativelanguage.googleapis.com (DNS lookup failed: Name or service not known)"
        )
        #expect(
            APITransport.unreachableMessage(
                host: "example.test",
                port: 443,
                dnsError: nil,
                connectError: "network is unreachable"
            )
                == "cannot connect to example.test:443: network is unreachable"
        )
        let client = GeminiClient(http: .shared, baseURL: "https://generativelanguage.googleapis.com/", key: key)
        #expect(client.endpoint == "generativelanguage.googleapis.com")
        #expect(GeminiClient(http: .shared, baseURL: "http://127.0.0.1:9", key: key).endpoint == "127.0.0.1:9")
    }
}
