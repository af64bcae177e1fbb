import AsyncHTTPClient
import Foundation
import ImageGeneration
import NIOCore
import NIOHTTP1
import SystemSupport

/// The OpenAI Images API, or any server that speaks it (contract §11): `POST {base}/v1/images/generations`
/// with the key as `Authorization: Bearer`, over the shared `APITransport` (a total deadline, a bounded body,
/// no redirects). What differs from Gemini is here: the body, the answer, and how errors map.
package struct OpenAIClient: ImageAPI {
    package let provider = "openai"
    package let transport: APITransport
    package let key: APIKey

    package var baseURL: String { transport.baseURL }

    package init(transport: APITransport, key: APIKey) {
        self.transport = transport
        self.key = key
    }

    /// `images/generations` for text alone; `images/edits` (multipart, one `image[]` part per reference, in
    /// order) for a scene with references.
    package func generate(_ request: APIRequest) async -> APIAnswer {
        let body = OpenAIRequestBody(request)
        let edits = !request.references.isEmpty
        var http = HTTPClientRequest(url: "\(baseURL)/v1/images/\(edits ? "edits" : "generations")")
        http.method = .POST
        http.headers.add(name: "authorization", value: "Bearer \(key.value)")
        if edits {
            let form = MultipartForm(fields: body.fields, files: request.references)
            http.headers.add(name: "content-type", value: "multipart/form-data; boundary=\(form.boundary)")
            http.body = .bytes(ByteBuffer(bytes: form.encoded()))
        } else {
            http.headers.add(name: "content-type", value: "application/json")
            http.body = .bytes(ByteBuffer(bytes: body.encoded()))
        }
        switch await transport.image(http, deadline: request.timeout) {
        case .success(let answer):
            return OpenAIResponse.interpret(status: answer.status, headers: answer.headers, body: answer.body)
        case .failure(let failure):
            return .failure(failure)
        }
    }

    /// `GET {base}/v1/models/{model}`: whether the key is accepted and the model exists, generating nothing.
    package func probe(model: String) async -> APIAnswer {
        var http = HTTPClientRequest(url: "\(baseURL)/v1/models/\(model)")
        http.method = .GET
        http.headers.add(name: "authorization", value: "Bearer \(key.value)")
        do {
            let (status, headers, bytes) = try await transport.exchange(http, timeout: .seconds(30), limit: 1 << 20)
            return status == 200
                ? .noImage(.noImage, message: "model \(model) is available")
                : .failure(OpenAIResponse.error(status: status, headers: headers, body: bytes))
        } catch {
            return .failure(transport.failure(for: error, limit: 1 << 20))
        }
    }
}
