import Foundation
import ImageGeneration

/// A Gemini Batch API job as one answer showed it (docs/gemini-image-api.md, "Batch API"): its name
/// (`batches/{id}`), its state and, once it succeeded, one answer per request.
package struct BatchJob: Sendable, Equatable {
    /// `BATCH_STATE_…`; an unknown value is kept as it came and taken for "still going".
    package enum State: Sendable, Equatable, CustomStringConvertible {
        case pending, running, succeeded, failed, cancelled, expired
        case other(String)

        package init(wire: String?) {
            switch wire {
            case "BATCH_STATE_PENDING", "JOB_STATE_PENDING", "JOB_STATE_QUEUED": self = .pending
            case "BATCH_STATE_RUNNING", "JOB_STATE_RUNNING": self = .running
            case "BATCH_STATE_SUCCEEDED", "JOB_STATE_SUCCEEDED": self = .succeeded
            case "BATCH_STATE_FAILED", "JOB_STATE_FAILED": self = .failed
            case "BATCH_STATE_CANCELLED", "JOB_STATE_CANCELLED": self = .cancelled
            case "BATCH_STATE_EXPIRED", "JOB_STATE_EXPIRED": self = .expired
            default: self = .other(wire ?? "BATCH_STATE_UNSPECIFIED")
            }
        }

        package var isFinal: Bool {
            switch self {
            case .succeeded, .failed, .cancelled, .expired: return true
            case .pending, .running, .other: return false
            }
        }

        /// The API's word, as logs and `scenedrop status` show it.
        package var description: String {
            switch self {
            case .pending: return "BATCH_STATE_PENDING"
            case .running: return "BATCH_STATE_RUNNING"
            case .succeeded: return "BATCH_STATE_SUCCEEDED"
            case .failed: return "BATCH_STATE_FAILED"
            case .cancelled: return "BATCH_STATE_CANCELLED"
            case .expired: return "BATCH_STATE_EXPIRED"
            case .other(let wire): return wire
            }
        }
    }

    /// One request's outcome: `key` is the `metadata.key` it was sent with, when the API echoes it
    /// (it does not always: responses come "in the same order as the input requests").
    package struct Response: Sendable, Equatable {
        package var key: String?
        package var answer: APIAnswer
    }

    package var name: String
    package var state: State
    /// Filled once the job succeeded.
    package var responses: [Response]
    /// What the API said went wrong with the whole job, if anything.
    package var error: String?

    /// Job names are used in URLs: only the API's own shape, `batches/` and a plain id, is accepted.
    package static func isValidName(_ name: String) -> Bool {
        guard name.hasPrefix("batches/") else { return false }
        let id = name.dropFirst("batches/".count)
        return !id.isEmpty && id.count <= 128
            && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}

// MARK: - The wire format

/// Parses batch answers: the long-running `Operation` that create and get return, and a list's page.
/// Pure. Fields are read where either the docs or the SDK put them (`metadata.state` or `state`,
/// `metadata.output` or `response`), and anything unknown is ignored.
enum BatchWire {
    typealias Status = GeminiResponse.ErrorBody.Status

    struct InlinedResponse: Decodable {
        struct Metadata: Decodable { var key: String? }
        var metadata: Metadata?
        var response: GeminiResponse.Body?
        var error: Status?
    }

    struct Output: Decodable {
        struct Inlined: Decodable { var inlinedResponses: [InlinedResponse]? }
        var inlinedResponses: Inlined?
        var responsesFile: String?
    }

    struct Batch: Decodable {
        var name: String?
        var state: String?
        var output: Output?
    }

    struct Operation: Decodable {
        var name: String?
        var metadata: Batch?
        var state: String?
        var output: Output?
        var response: Output?
        var error: Status?
    }

    struct DisplayNamed: Decodable {
        struct Meta: Decodable { var displayName: String? }
        var name: String?
        var displayName: String?
        var metadata: Meta?
    }

    struct ListPage: Decodable {
        var operations: [DisplayNamed]?
        var batches: [DisplayNamed]?
        var nextPageToken: String?
    }

    static func job(_ body: [UInt8]) -> BatchJob? {
        guard let operation = try? JSONDecoder().decode(Operation.self, from: Data(body)),
            let name = operation.name ?? operation.metadata?.name, BatchJob.isValidName(name)
        else { return nil }
        let state = BatchJob.State(wire: operation.metadata?.state ?? operation.state)
        let output = operation.metadata?.output ?? operation.output ?? operation.response
        let responses = (output?.inlinedResponses?.inlinedResponses ?? []).map { item -> BatchJob.Response in
            let answer: APIAnswer
            if let response = item.response {
                answer = GeminiResponse.interpret(response)
            } else {
                let error = item.error
                let words = [error?.code.map { "code \($0)" }, error?.status, error?.message].compactMap { $0 }.joined(
                    separator: " "
                )
                answer = .failure(
                    .invalidResponse(
                        "the batch job's answer for this request is an error: " + (words.isEmpty ? "no detail" : words)
                    )
                )
            }
            return BatchJob.Response(key: item.metadata?.key, answer: answer)
        }
        return BatchJob(name: name, state: state, responses: responses, error: operation.error?.message)
    }

    /// A list page: each job's name and display name, and the next page's token.
    static func page(_ body: [UInt8]) -> (jobs: [(name: String, displayName: String)], next: String?)? {
        guard let page = try? JSONDecoder().decode(ListPage.self, from: Data(body)) else { return nil }
        let jobs = (page.operations ?? page.batches ?? []).compactMap { item -> (String, String)? in
            guard let name = item.name, let display = item.metadata?.displayName ?? item.displayName else { return nil }
            return (name, display)
        }
        return (jobs, page.nextPageToken.flatMap { $0.isEmpty ? nil : $0 })
    }
}
