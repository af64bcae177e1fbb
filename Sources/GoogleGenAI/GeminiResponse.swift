import Foundation
import ImageGeneration

/// Parses Gemini responses (docs/gemini-image-api.md §2 and §4). Pure.
package enum GeminiResponse {
    /// Finish reasons that mean the image was withheld for safety or policy.
    static let safetyReasons: Set<String> = [
        "SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT", "BLOCKLIST", "SPII",
        "RECITATION", "IMAGE_RECITATION",
    ]

    // MARK: The wire format (only what SceneDrop reads; unknown fields are ignored)

    struct Body: Decodable {
        struct PromptFeedback: Decodable {
            var blockReason: String?
            var blockReasonMessage: String?
        }

        struct Candidate: Decodable {
            struct Content: Decodable { var parts: [Part]? }
            var content: Content?
            var finishReason: String?
            var finishMessage: String?
        }

        struct Part: Decodable {
            struct InlineData: Decodable {
                var mimeType: String?
                var data: String?
            }

            var text: String?
            var inlineData: InlineData?
            var thought: Bool?
        }

        /// What the answer used (§2.4). Counts a model never sends are absent, not zero.
        struct UsageMetadata: Decodable {
            struct ModalityCount: Decodable {
                var modality: String?
                var tokenCount: Int?
            }

            var promptTokenCount: Int?
            var candidatesTokenCount: Int?
            var thoughtsTokenCount: Int?
            var candidatesTokensDetails: [ModalityCount]?
        }

        var candidates: [Candidate]?
        var promptFeedback: PromptFeedback?
        var usageMetadata: UsageMetadata?
    }

    /// The answer's usage as the tokens it is billed by: image tokens from the `IMAGE` details (all of
    /// `candidatesTokenCount` when there are none), the rest of the candidates' tokens as text. Nil
    /// when the answer reports no output count (then the flat per-image price applies). Negative or
    /// absurd counts from a hostile server are clamped, never trusted into a trap.
    static func usage(_ metadata: Body.UsageMetadata?) -> TokenUsage? {
        guard let metadata, let output = metadata.candidatesTokenCount.map(TokenUsage.count) else { return nil }
        let imageDetails = (metadata.candidatesTokensDetails ?? []).filter { $0.modality == "IMAGE" }
        let image =
            imageDetails.isEmpty
            ? output : min(output, imageDetails.reduce(0) { $0 + TokenUsage.count($1.tokenCount ?? 0) })
        return TokenUsage(
            inputTokens: TokenUsage.count(metadata.promptTokenCount ?? 0),
            outputImageTokens: image,
            outputTextTokens: output - image,
            thinkingTokens: TokenUsage.count(metadata.thoughtsTokenCount ?? 0)
        )
    }

    /// Google's error `Status` body.
    struct ErrorBody: Decodable {
        /// google.rpc.Status: also the error of one request inside a batch job.
        struct Status: Decodable {
            var code: Int?
            var message: String?
            var status: String?
            var details: [Detail]?
        }

        /// One entry of `details`: RetryInfo, QuotaFailure or ErrorInfo (by `@type`); each fills its fields.
        struct Detail: Decodable {
            struct Violation: Decodable { var quotaId: String? }
            var retryDelay: String?
            var reason: String?
            var violations: [Violation]?
        }

        var error: Status?
    }

    package static func interpret(status: Int, body: [UInt8]) -> APIAnswer {
        guard status == 200 else { return .failure(error(status: status, body: body)) }
        let root: Body
        do {
            root = try JSONDecoder().decode(Body.self, from: Data(body))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            return .failure(.invalidResponse("the response body is not JSON"))
        } catch {
            return .failure(.invalidResponse("the response body is not a Gemini answer (a field has the wrong type)"))
        }
        return interpret(root)
    }

    /// What a decoded `GenerateContentResponse` amounts to (also one response inside a batch job).
    static func interpret(_ root: Body) -> APIAnswer {
        if let block = root.promptFeedback?.blockReason {
            let detail = root.promptFeedback?.blockReasonMessage.map { ": \($0)" } ?? ""
            return .noImage(.safetyBlocked, message: "prompt blocked (\(block))\(detail)")
        }
        guard let candidate = root.candidates?.first else {
            return .noImage(.noImage, message: "the response has no candidates")
        }
        var image: (data: String, mimeType: String?)?
        var texts: [String] = []
        // Thinking models send draft ("thought") images first; the last final one is the answer.
        for part in candidate.content?.parts ?? [] where part.thought != true {
            if let data = part.inlineData?.data {
                image = (data, part.inlineData?.mimeType)
            } else if let text = part.text {
                texts.append(text)
            }
        }
        let finishReason = candidate.finishReason ?? "STOP"
        if let image {
            guard let bytes = Data(base64Encoded: image.data, options: .ignoreUnknownCharacters), !bytes.isEmpty else {
                return .failure(.invalidResponse("the image data is not valid base64"))
            }
            return .image(bytes: Array(bytes), mimeType: image.mimeType, usage: usage(root.usageMetadata))
        }
        let said =
            candidate.finishMessage ?? (texts.isEmpty ? nil : "model said: " + texts.joined(separator: " ").prefix(300))
        if safetyReasons.contains(finishReason) {
            return .noImage(.safetyBlocked, message: "\(finishReason)" + (said.map { ": \($0)" } ?? ""))
        }
        return .noImage(
            .noImage,
            message: "\(finishReason == "STOP" ? "no image in the answer" : finishReason)"
                + (said.map { ": \($0)" } ?? "")
        )
    }

    /// Reads Google's error `Status` body (also when wrapped in a one-element array).
    static func error(status: Int, body: [UInt8]) -> RetryPolicy.Failure {
        let decoder = JSONDecoder()
        let error =
            (try? decoder.decode(ErrorBody.self, from: Data(body)))?.error
            ?? (try? decoder.decode([ErrorBody].self, from: Data(body))).flatMap { $0.count == 1 ? $0[0].error : nil }
        var message = error?.message ?? String(decoding: body.prefix(200), as: UTF8.self)
        if let statusName = error?.status {
            message = "\(status) \(statusName): \(message)"
        } else {
            message = "\(status): \(message)"
        }
        var retryDelay: Double?
        var quotaPerDay = false
        var reason: String?
        for detail in error?.details ?? [] {
            if let delay = detail.retryDelay { retryDelay = parseDuration(delay) }
            if let r = detail.reason { reason = reason ?? r }
            if detail.violations?.contains(where: { $0.quotaId?.contains("PerDay") == true }) == true {
                quotaPerDay = true
            }
        }
        return .http(
            status: status,
            message: String(message.prefix(500)),
            retryDelay: retryDelay,
            quotaPerDay: quotaPerDay,
            reason: reason
        )
    }

    /// A protobuf Duration string such as "47s" or "29.72s"; nil for anything else. The answer is a server's: a
    /// delay that is not a finite, non-negative number ("infs", "nans", "-5s") is no delay, and one beyond 1e9 s
    /// (about 32 years) is 1e9 s, so that no arithmetic on it can trap.
    static func parseDuration(_ text: String) -> Double? {
        guard text.hasSuffix("s"), let seconds = Double(text.dropLast()), seconds.isFinite, seconds >= 0 else {
            return nil
        }
        return min(seconds, 1e9)
    }
}
