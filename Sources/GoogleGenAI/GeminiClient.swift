import AsyncHTTPClient
import Foundation
import ImageGeneration
import NIOCore
import NIOHTTP1
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// One `generateContent` call: `POST {base}/v1beta/models/{model}:generateContent`, key in the
/// `x-goog-api-key` header (never in the URL), over the shared `APITransport` (a total deadline,
/// a bounded body, no redirects).
package struct GeminiClient: ImageAPI {
    package let provider = "gemini"
    package let transport: APITransport
    package let key: APIKey

    package var baseURL: String { transport.baseURL }
    package var endpoint: String { transport.endpoint }

    package init(transport: APITransport, key: APIKey) {
        self.transport = transport
        self.key = key
    }

    /// A client with a transport of its own (`--gemini-base-url`).
    package init(
        http: HTTPClient,
        baseURL: String,
        key: APIKey,
        timeout: Duration = .seconds(60),
        maxBodyBytes: Int = 48 << 20,
        clock: MonotonicClock = .continuous
    ) {
        let transport = APITransport(
            http: http,
            baseURL: baseURL,
            baseURLOption: "--gemini-base-url",
            timeout: timeout,
            maxBodyBytes: maxBodyBytes,
            clock: clock
        )
        self.init(transport: transport, key: key)
    }

    package func generate(_ request: APIRequest) async -> APIAnswer {
        await generate(
            model: request.model,
            body: GeminiRequestBody(request),
            timeout: request.timeout
        )
    }

    /// `timeout`: this request's deadline; nil: the client's.
    package func generate(model: String, body: GeminiRequestBody, timeout: Duration? = nil) async -> APIAnswer {
        var request = HTTPClientRequest(url: "\(baseURL)/v1beta/models/\(model):generateContent")
        request.method = .POST
        request.headers.add(name: "x-goog-api-key", value: key.value)
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body.encoded()))
        switch await transport.image(request, deadline: timeout) {
        case .success(let answer): return GeminiResponse.interpret(status: answer.status, body: answer.body)
        case .failure(let failure): return .failure(failure)
        }
    }

    /// `GET {base}/v1beta/models` (models.list), every page: the models this key can use (contract §11).
    package func listModels() async -> ModelList? {
        var ids: Set<String> = []
        var pageToken: String?
        for _ in 1...50 {
            var url = "\(baseURL)/v1beta/models?pageSize=1000"
            if let pageToken {
                url += "&pageToken=" + (pageToken.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            }
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            request.headers.add(name: "x-goog-api-key", value: key.value)
            do {
                let (status, _, bytes) = try await transport.exchange(request, timeout: .seconds(30), limit: 8 << 20)
                guard status == 200 else { return .failed(GeminiResponse.error(status: status, body: bytes)) }
                // Strict: a 200 that is not a page of models (a proxy's page, an empty object) must never
                // read as "no model is listed" and empty the chains.
                guard let page = try? JSONDecoder().decode(ModelPage.self, from: Data(bytes)), let models = page.models
                else {
                    return .failed(.invalidResponse("the model list is not a page of models"))
                }
                for model in models {
                    guard let name = model.name else { continue }
                    ids.insert(name.hasPrefix("models/") ? String(name.dropFirst("models/".count)) : name)
                }
                guard let next = page.nextPageToken, !next.isEmpty else {
                    return ids.isEmpty ? .failed(.invalidResponse("the API listed no models")) : .listed(ids)
                }
                pageToken = next
            } catch {
                return .failed(transport.failure(for: error, limit: 8 << 20))
            }
        }
        return .failed(.invalidResponse("the model list did not end after 50 pages"))
    }

    struct ModelPage: Decodable {
        struct Model: Decodable { var name: String? }
        var models: [Model]?
        var nextPageToken: String?
    }

    /// `GET {base}/v1beta/models/{model}` (models.get): a quick answer that says whether the key is
    /// accepted, without generating anything. Errors come back as failures; a 200 as `.noImage`.
    package func probe(model: String) async -> APIAnswer {
        var request = HTTPClientRequest(url: "\(baseURL)/v1beta/models/\(model)")
        request.method = .GET
        request.headers.add(name: "x-goog-api-key", value: key.value)
        do {
            let (status, _, bytes) = try await transport.exchange(request, timeout: .seconds(30), limit: 1 << 20)
            return status == 200
                ? .noImage(.noImage, message: "model \(model) is available")
                : .failure(GeminiResponse.error(status: status, body: bytes))
        } catch {
            return .failure(transport.failure(for: error, limit: 1 << 20))
        }
    }

}
