/// What one request to a vendor's image API amounted to, decided by the vendor's module from the
/// status, the headers and the body alone.
package enum APIAnswer: Sendable, Equatable {
    /// An image, decoded from the answer. The format is decided later from the bytes; `mimeType` is only
    /// what the API claimed. `usage`: the tokens the answer reports, when it reports them (its cost).
    case image(bytes: [UInt8], mimeType: String?, usage: TokenUsage? = nil)
    /// A success without an image: a safety block, no image made, or text only. Never retried.
    case noImage(FallbackReason, message: String)
    /// A failure for the retry policy to judge.
    case failure(RetryPolicy.Failure)
}

extension APIAnswer {
    /// The HTTP status class for metrics (`2xx`, `4xx`, `5xx`), `none` when no status came back.
    package var statusClass: String {
        switch self {
        case .image, .noImage: return "2xx"
        case .failure(.http(let status, _, _, _, _)): return "\(status / 100)xx"
        case .failure(.cancelled): return "cancelled"
        case .failure: return "none"
        }
    }

    /// An image came back (and is charged for, usable or not).
    package var isImage: Bool {
        if case .image = self { return true }
        return false
    }

    /// The failure, when the answer is one.
    package var failure: RetryPolicy.Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
