/// Why an image did not come from the first provider (contract §4, `fallback.reason`).
public enum FallbackReason: String, Sendable, Codable, CaseIterable {
    case noAPIKey = "no_api_key"
    case invalidAPIKey = "invalid_api_key"
    case rateLimited = "rate_limited"
    case quotaExhausted = "quota_exhausted"
    case safetyBlocked = "safety_blocked"
    case noImage = "no_image"
    case timeout
    case serverError = "server_error"
    case invalidImage = "invalid_image"
    case modelNotFound = "model_not_found"
    case budgetExceeded = "budget_exceeded"
}

/// A provider could not produce the image. The chain records it and moves to the next link.
public struct ProviderFailure: Error, Sendable, CustomStringConvertible {
    public var reason: FallbackReason
    public var message: String
    public var model: String?
    public var attempts: Int

    public init(reason: FallbackReason, message: String, model: String? = nil, attempts: Int = 1) {
        self.reason = reason
        self.message = message
        self.model = model
        self.attempts = attempts
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}
