import SystemSupport

/// Decides, after a failed request, whether to try the same model again and when — or what to give
/// up with and for how long (docs/gemini-image-api.md, "SceneDrop's decisions" and §4). Pure: the
/// caller passes the attempt count and a random number, so tests are exact.
package struct RetryPolicy: Sendable, Equatable {
    /// How a request failed.
    package enum Failure: Error, Sendable, Equatable {
        /// An HTTP error status. `retryDelay` is `RetryInfo.retryDelay` in seconds; `quotaPerDay` is a
        /// `QuotaFailure` whose `quotaId` names a per-day quota; `reason` is `ErrorInfo.reason`.
        case http(
            status: Int,
            message: String,
            retryDelay: Double? = nil,
            quotaPerDay: Bool = false,
            reason: String? = nil
        )
        /// No complete answer within `--request-timeout`.
        case timeout
        /// No connection could be made: the name does not resolve, the connection is refused, there is
        /// no route, or the connect timed out. The endpoint is at fault, not the model.
        case unreachable(String)
        /// A connection was made and broke before the answer was complete.
        case connection(String)
        /// The task was cancelled (shutdown, a superseded session) while the request was out. Not the
        /// API's fault and not a timeout: neither retried nor recorded against the model.
        case cancelled
        /// HTTP 200 whose body cannot be used (not JSON, bad base64, larger than the bound). The
        /// same request would get the same answer: not retried.
        case invalidResponse(String)
    }

    /// How widely a final failure applies.
    package enum Scope: Sendable, Equatable {
        /// This request only; the next scene tries the model again.
        case request
        /// The model is not used again in this run (404: retired or unknown).
        case modelForRun
        /// The model is not used again until its per-day quota resets, at midnight Pacific time.
        case modelUntilDailyReset
        /// The provider is not used again in this run (bad key, no permission).
        case providerForRun
        /// The endpoint cannot be reached: every scene falls back at once, without a request, until
        /// a later probe gets through (`ProviderState`), instead of each rediscovering it with retries.
        case endpoint
    }

    package enum Decision: Sendable, Equatable {
        case retry(after: Double)
        case giveUp(FallbackReason, Scope)
        /// The request was cancelled: stop, with nothing to record.
        case stop
    }

    /// Retries after the first attempt (`--retries`, the seed's "up to 2").
    package var maxRetries: Int
    package var baseDelay: Double
    package var maxDelay: Double
    /// ± this fraction of the delay, so many scenes do not retry in lockstep.
    package var jitter: Double

    package init(maxRetries: Int = 2, baseDelay: Double = 1, maxDelay: Double = 30, jitter: Double = 0.2) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    /// - Parameters:
    ///   - attempts: requests made so far to this model for this scene (1 after the first).
    ///   - random: a number in 0..<1.
    package func decide(_ failure: Failure, attempts: Int, random: Double) -> Decision {
        let final: FallbackReason
        var scope = Scope.request
        var minimum: Double = 0
        switch failure {
        case .cancelled:
            return .stop
        case .timeout:
            final = .timeout
        case .unreachable:
            final = .networkError
            scope = .endpoint
        case .connection:
            final = .networkError
        case .invalidResponse:
            return .giveUp(.serverError, .request)
        case .http(let status, _, let retryDelay, let quotaPerDay, let reason):
            switch status {
            case 429:
                if quotaPerDay { return .giveUp(.quotaExhausted, .modelUntilDailyReset) }
                final = .rateLimited
                minimum = retryDelay ?? 0
            case 408, 504:
                final = .timeout
            case 500, 502, 503:
                final = .serverError
            case 404:
                return .giveUp(.modelNotFound, .modelForRun)
            case 401, 403:
                return .giveUp(.invalidAPIKey, .providerForRun)
            case 400 where reason == "API_KEY_INVALID":
                return .giveUp(.invalidAPIKey, .providerForRun)
            default:
                // Any other 4xx is a request the API will never accept: retrying cannot help.
                return .giveUp(.serverError, .request)
            }
        }
        guard attempts <= maxRetries else { return .giveUp(final, scope) }
        let backoff = Backoff(initial: baseDelay, maximum: maxDelay, jitter: jitter)
        return .retry(after: max(minimum, backoff.delay(after: attempts, random: random)))
    }
}
