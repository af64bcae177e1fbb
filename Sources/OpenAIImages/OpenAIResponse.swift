import Foundation
import ImageGeneration
import NIOHTTP1

/// Reads OpenAI Images answers and maps them to the shared failure kinds (contract §11). Pure.
///
/// - 200: the image from `data[0].b64_json`, its `usage` as tokens.
/// - 401: the key is refused for the run (`invalid_api_key`).
/// - 429: waits in the quota line for `retry-after` or `x-ratelimit-reset-requests`; `insufficient_quota`
///   (the account's credit is spent) is taken like a per-day quota.
/// - 400 with code `moderation_blocked`: `safety_blocked`, never retried.
/// - 5xx: retried; any other 4xx is final for the request.
package enum OpenAIResponse {
    struct Body: Decodable {
        struct Datum: Decodable { var b64_json: String? }
        struct Usage: Decodable {
            var input_tokens: Int?
            var output_tokens: Int?
        }

        var data: [Datum]?
        var usage: Usage?
    }

    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var message: String?
            var type: String?
            var code: String?
        }

        var error: Detail?
    }

    package static func interpret(status: Int, headers: HTTPHeaders, body: [UInt8]) -> APIAnswer {
        guard status == 200 else {
            if status == 400, let detail = decodeError(body), detail.code == "moderation_blocked" {
                return .noImage(
                    .safetyBlocked,
                    message: "moderation_blocked: " + (detail.message ?? "the request was blocked")
                )
            }
            return .failure(error(status: status, headers: headers, body: body))
        }
        let root: Body
        do {
            root = try JSONDecoder().decode(Body.self, from: Data(body))
        } catch {
            return .failure(.invalidResponse("the response body is not an Images API answer"))
        }
        guard let encoded = root.data?.first?.b64_json else {
            return .noImage(.noImage, message: "the answer has no data[0].b64_json")
        }
        guard let bytes = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters), !bytes.isEmpty else {
            return .failure(.invalidResponse("the image data is not valid base64"))
        }
        let usage = root.usage.flatMap { usage in
            usage.output_tokens.map {
                TokenUsage(
                    inputTokens: TokenUsage.count(usage.input_tokens ?? 0),
                    outputImageTokens: TokenUsage.count($0)
                )
            }
        }
        return .image(bytes: Array(bytes), mimeType: nil, usage: usage)
    }

    /// An error answer as the retry policy sees it: the status, the message, and how long a 429 asks to wait.
    package static func error(status: Int, headers: HTTPHeaders, body: [UInt8]) -> RetryPolicy.Failure {
        let detail = decodeError(body)
        let said = detail?.message ?? String(decoding: body.prefix(200), as: UTF8.self)
        let code = detail?.code ?? detail?.type
        let message = "\(status)" + (code.map { " \($0)" } ?? "") + ": " + said
        guard status == 429 else { return .http(status: status, message: message, reason: code) }
        let delay =
            headers.first(name: "retry-after").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            ?? headers.first(name: "x-ratelimit-reset-requests").flatMap(resetDuration)
        return .http(
            status: 429,
            message: message,
            retryDelay: delay.flatMap { $0.isFinite && $0 >= 0 ? min($0, 86_400) : nil },
            quotaPerDay: code == "insufficient_quota",
            reason: code
        )
    }

    static func decodeError(_ body: [UInt8]) -> ErrorBody.Detail? {
        (try? JSONDecoder().decode(ErrorBody.self, from: Data(body)))?.error
    }

    /// `x-ratelimit-reset-requests` as OpenAI writes it: `1s`, `6m0s`, `20ms`, `1h2m3.5s`.
    static func resetDuration(_ text: String) -> Double? {
        var total = 0.0
        var number = ""
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        while let first = rest.first {
            if first.isNumber || first == "." {
                number.append(first)
                rest.removeFirst()
                continue
            }
            guard let value = Double(number) else { return nil }
            number = ""
            if rest.hasPrefix("ms") {
                total += value / 1000
                rest.removeFirst(2)
            } else if first == "h" || first == "m" || first == "s" {
                total += value * (first == "h" ? 3600 : first == "m" ? 60 : 1)
                rest.removeFirst()
            } else {
                return nil
            }
        }
        return number.isEmpty ? total : nil
    }

}
