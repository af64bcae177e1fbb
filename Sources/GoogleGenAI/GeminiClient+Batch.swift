import AsyncHTTPClient
import Foundation
import ImageGeneration
import NIOCore
import NIOHTTP1

/// The Batch API's calls (docs/gemini-image-api.md, "Batch API"): create with inline requests, get,
/// cancel, and list (to find a job whose creation was cut off before its name was written down).
extension GeminiClient {
    /// What a batch call came to: the job as the answer showed it, or a failure for the retry policy.
    package enum BatchAnswer: Sendable {
        case job(BatchJob)
        case failure(RetryPolicy.Failure)
    }

    package enum BatchLookup: Sendable {
        case found(String)
        case notFound
        /// The list could not be read.
        case failure(RetryPolicy.Failure)
    }

    /// A finished job inlines every image as base64: far larger than one answer.
    static let maxBatchBodyBytes = 1 << 30
    /// Create, get and cancel move at most one job's worth of data; a slow large download gets time.
    static let batchTimeout: Duration = .seconds(300)

    /// `POST {base}/v1beta/models/{model}:batchGenerateContent`.
    package func createBatch(model: String, body: BatchRequestBody) async -> BatchAnswer {
        var request = HTTPClientRequest(url: "\(baseURL)/v1beta/models/\(model):batchGenerateContent")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body.encoded()))
        return await batchCall(request, limit: 1 << 20)
    }

    /// `GET {base}/v1beta/{name}`: the job's state, and its answers once it succeeded.
    package func batch(named name: String) async -> BatchAnswer {
        guard BatchJob.isValidName(name) else {
            return .failure(.invalidResponse("\"\(name)\" is not a batch job name"))
        }
        var request = HTTPClientRequest(url: "\(baseURL)/v1beta/\(name)")
        request.method = .GET
        return await batchCall(request, limit: Self.maxBatchBodyBytes)
    }

    /// `POST {base}/v1beta/{name}:cancel`. Returns the failure, or nil when the API took it.
    package func cancelBatch(named name: String) async -> RetryPolicy.Failure? {
        guard BatchJob.isValidName(name) else { return .invalidResponse("\"\(name)\" is not a batch job name") }
        var request = HTTPClientRequest(url: "\(baseURL)/v1beta/\(name):cancel")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: Array("{}".utf8)))
        request.headers.add(name: "x-goog-api-key", value: key.value)
        do {
            let (status, _, bytes) = try await transport.exchange(request, timeout: Self.batchTimeout, limit: 1 << 20)
            return status == 200 ? nil : GeminiResponse.error(status: status, body: bytes)
        } catch {
            return transport.failure(for: error, limit: 1 << 20)
        }
    }

    /// `GET {base}/v1beta/batches`, page by page (at most `pages`): the job named `displayName`, if
    /// the API has one.
    package func findBatch(displayName: String, pages: Int = 20) async -> BatchLookup {
        var token: String?
        for _ in 0..<pages {
            var url = "\(baseURL)/v1beta/batches?pageSize=100"
            if let token {
                url += "&pageToken=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token)
            }
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            request.headers.add(name: "x-goog-api-key", value: key.value)
            do {
                let (status, _, bytes) = try await transport.exchange(
                    request,
                    timeout: Self.batchTimeout,
                    limit: 16 << 20
                )
                guard status == 200 else { return .failure(GeminiResponse.error(status: status, body: bytes)) }
                guard let page = BatchWire.page(bytes) else {
                    return .failure(.invalidResponse("the batch list is not JSON of the expected shape"))
                }
                if let found = page.jobs.first(where: { $0.displayName == displayName && BatchJob.isValidName($0.name) }
                ) {
                    return .found(found.name)
                }
                guard let next = page.next else { return .notFound }
                token = next
            } catch {
                return .failure(transport.failure(for: error, limit: 16 << 20))
            }
        }
        return .notFound
    }

    private func batchCall(_ request: HTTPClientRequest, limit: Int) async -> BatchAnswer {
        var request = request
        request.headers.add(name: "x-goog-api-key", value: key.value)
        do {
            let (status, _, bytes) = try await transport.exchange(request, timeout: Self.batchTimeout, limit: limit)
            guard status == 200 else { return .failure(GeminiResponse.error(status: status, body: bytes)) }
            guard let job = BatchWire.job(bytes) else {
                return .failure(.invalidResponse("the batch answer is not a job (no name like batches/…, or not JSON)"))
            }
            return .job(job)
        } catch {
            return .failure(transport.failure(for: error, limit: limit))
        }
    }
}
