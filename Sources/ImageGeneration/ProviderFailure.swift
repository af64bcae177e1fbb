/// Why an image did not come from the first provider (contract §4, `fallback.reason`).
package enum FallbackReason: String, Sendable, Codable, CaseIterable {
    case noAPIKey = "no_api_key"
    case invalidAPIKey = "invalid_api_key"
    case rateLimited = "rate_limited"
    case quotaExhausted = "quota_exhausted"
    case safetyBlocked = "safety_blocked"
    case noImage = "no_image"
    case timeout
    case serverError = "server_error"
    /// The endpoint could not be reached (DNS, connection refused, no route) or the connection broke.
    case networkError = "network_error"
    case invalidImage = "invalid_image"
    case modelNotFound = "model_not_found"
    case budgetExceeded = "budget_exceeded"
    /// The coordinator that enforces the budget (`--coordinator`) could not be reached for
    /// `--coordinator-wait`.
    case budgetUnavailable = "budget_unavailable"
    /// The cost ledger could not be written (a full or read-only state disk), and no budget is set: no paid
    /// request is sent whose charge cannot be recorded.
    case ledgerUnwritable = "ledger_unwritable"
    /// A batch job failed, was cancelled, or had no usable answer for the scene (the scene then goes
    /// as an interactive request).
    case batchFailed = "batch_failed"
    /// A batch job expired, or passed `--batch-deadline` and was cancelled.
    case batchExpired = "batch_expired"
}

/// One model (or provider) that was tried for a scene and did not make its image.
package struct ProviderAttempt: Sendable, Equatable {
    package var provider: String
    package var model: String?
    package var error: String
    /// Requests sent (0 when the model was skipped without a request).
    package var attempts: Int

    package init(provider: String, model: String?, error: String, attempts: Int) {
        self.provider = provider
        self.model = model
        self.error = error
        self.attempts = attempts
    }
}

/// A provider could not produce the image. The chain records it and moves to the next link.
package struct ProviderFailure: Error, Sendable, CustomStringConvertible {
    package var reason: FallbackReason
    package var message: String
    /// Everything tried inside the provider, in order (a provider may try several models).
    package var tried: [ProviderAttempt]
    /// The task was cancelled (shutdown): the chain stops and reports the cancellation, never `reason`.
    package var cancelled = false

    package init(reason: FallbackReason, message: String, tried: [ProviderAttempt]) {
        self.reason = reason
        self.message = message
        self.tried = tried
    }

    package var description: String { "\(reason.rawValue): \(message)" }

    /// Cancellation, as a provider reports it.
    package static func cancellation(tried: [ProviderAttempt]) -> ProviderFailure {
        var failure = ProviderFailure(reason: .serverError, message: "cancelled", tried: tried)
        failure.cancelled = true
        return failure
    }
}
