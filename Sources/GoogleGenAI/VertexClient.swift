import AsyncHTTPClient
import ImageGeneration
import NIOCore
import NIOHTTP1
import SystemSupport

/// Gemini's image models through Vertex AI (contract §11): the same request and response bodies as the
/// Developer API, at `{base}/v1/projects/P/locations/L/publishers/google/models/M:generateContent`, with
/// `Authorization: Bearer` and a token from `VertexTokens`. A 401 refreshes the token once and asks again.
/// A Vertex 429 carries no RetryInfo: the quota line learns from timing alone.
package struct VertexClient: ImageAPI {
    package let provider = "vertex"
    package let transport: APITransport
    package let tokens: VertexTokens
    package let project: String
    package let location: String

    package var baseURL: String { transport.baseURL }

    package init(transport: APITransport, project: String, location: String, tokens: VertexTokens) {
        self.transport = transport
        self.tokens = tokens
        self.project = project
        self.location = location
    }

    package func generate(_ request: APIRequest) async -> APIAnswer {
        let body = GeminiRequestBody(request)
        let url =
            "\(baseURL)/v1/projects/\(project)/locations/\(location)/publishers/google/models/\(request.model):generateContent"
        return await authorized { token in
            var http = HTTPClientRequest(url: url)
            http.method = .POST
            http.headers.add(name: "authorization", value: "Bearer \(token)")
            http.headers.add(name: "content-type", value: "application/json")
            http.body = .bytes(ByteBuffer(bytes: body.encoded()))
            let (status, _, bytes) = try await transport.exchange(
                http,
                timeout: request.timeout ?? transport.timeout,
                limit: transport.maxBodyBytes
            )
            return (status, GeminiResponse.interpret(status: status, body: bytes))
        }
    }

    /// `GET {base}/v1/publishers/google/models/{model}` (publishers.models.get): whether the credentials
    /// are accepted and the model exists, generating nothing.
    package func probe(model: String) async -> APIAnswer {
        await authorized { token in
            var http = HTTPClientRequest(url: "\(baseURL)/v1/publishers/google/models/\(model)")
            http.method = .GET
            http.headers.add(name: "authorization", value: "Bearer \(token)")
            let (status, _, bytes) = try await transport.exchange(http, timeout: .seconds(30), limit: 1 << 20)
            let answer: APIAnswer =
                status == 200
                ? .noImage(.noImage, message: "model \(model) is available")
                : .failure(GeminiResponse.error(status: status, body: bytes))
            return (status, answer)
        }
    }

    /// Runs `exchange` with a token; on a 401 the token is dropped and the exchange made once more with a
    /// fresh one (a token can expire, or be revoked, between two requests).
    private func authorized(_ exchange: (String) async throws -> (Int, APIAnswer)) async -> APIAnswer {
        for attempt in 1...2 {
            let token: String
            switch await tokens.token() {
            case .success(let fresh): token = fresh
            case .failure(let refusal): return .failure(refusal.failure)
            }
            do {
                let (status, answer) = try await exchange(token)
                guard status == 401, attempt == 1 else { return answer }
                await tokens.refused(token)
            } catch {
                return .failure(transport.failure(for: error, limit: transport.maxBodyBytes))
            }
        }
        return .failure(.http(status: 401, message: "Vertex AI refused a fresh access token"))
    }
}
