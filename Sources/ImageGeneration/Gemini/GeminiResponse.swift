import Foundation

/// What one `generateContent` exchange amounted to, decided from the status and the body alone.
public enum GeminiAnswer: Sendable, Equatable {
    /// HTTP 200 with an image: the last non-thought image part, base64-decoded. The format is
    /// decided later from the bytes; `mimeType` is only what the API claimed.
    case image(bytes: [UInt8], mimeType: String?)
    /// HTTP 200 without an image: a safety block (candidate or prompt), `NO_IMAGE`, or text only.
    /// Never retried.
    case noImage(FallbackReason, message: String)
    /// A failure for the retry policy to judge.
    case failure(RetryPolicy.Failure)
}

extension GeminiAnswer {
    /// The failure, when the answer is one.
    public var failure: RetryPolicy.Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}

/// Parses Gemini responses (docs/gemini-image-api.md §2 and §4). Pure.
public enum GeminiResponse {
    /// Finish reasons that mean the image was withheld for safety or policy.
    static let safetyReasons: Set<String> = [
        "SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT", "BLOCKLIST", "SPII",
        "RECITATION", "IMAGE_RECITATION",
    ]

    public static func interpret(status: Int, body: [UInt8]) -> GeminiAnswer {
        guard status == 200 else { return .failure(error(status: status, body: body)) }
        guard let root = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return .failure(.invalidResponse("the response body is not JSON"))
        }
        if let feedback = root["promptFeedback"] as? [String: Any], let block = feedback["blockReason"] as? String {
            let detail = (feedback["blockReasonMessage"] as? String).map { ": \($0)" } ?? ""
            return .noImage(.safetyBlocked, message: "prompt blocked (\(block))\(detail)")
        }
        guard let candidates = root["candidates"] as? [[String: Any]], let candidate = candidates.first else {
            return .noImage(.noImage, message: "the response has no candidates")
        }
        let parts = (candidate["content"] as? [String: Any])?["parts"] as? [[String: Any]] ?? []
        var image: (String, String?)?
        var texts: [String] = []
        for part in parts where (part["thought"] as? Bool) != true {
            if let inline = part["inlineData"] as? [String: Any], let data = inline["data"] as? String {
                image = (data, inline["mimeType"] as? String)
            } else if let text = part["text"] as? String {
                texts.append(text)
            }
        }
        let finishReason = candidate["finishReason"] as? String ?? "STOP"
        let finishMessage = candidate["finishMessage"] as? String
        if let (data, mimeType) = image {
            guard let bytes = Data(base64Encoded: data, options: .ignoreUnknownCharacters), !bytes.isEmpty else {
                return .failure(.invalidResponse("the image data is not valid base64"))
            }
            return .image(bytes: Array(bytes), mimeType: mimeType)
        }
        let said = finishMessage ?? (texts.isEmpty ? nil : "model said: " + texts.joined(separator: " ").prefix(300))
        if safetyReasons.contains(finishReason) {
            return .noImage(.safetyBlocked, message: "\(finishReason)" + (said.map { ": \($0)" } ?? ""))
        }
        return .noImage(.noImage, message: "\(finishReason == "STOP" ? "no image in the answer" : finishReason)" + (said.map { ": \($0)" } ?? ""))
    }

    /// Reads Google's error `Status` body (also when wrapped in a one-element array).
    static func error(status: Int, body: [UInt8]) -> RetryPolicy.Failure {
        var object = (try? JSONSerialization.jsonObject(with: Data(body))) as Any?
        if let list = object as? [Any], list.count == 1 { object = list[0] }
        let error = (object as? [String: Any])?["error"] as? [String: Any]
        let statusName = error?["status"] as? String
        var message = (error?["message"] as? String) ?? String(decoding: body.prefix(200), as: UTF8.self)
        if let statusName { message = "\(status) \(statusName): \(message)" } else { message = "\(status): \(message)" }
        var retryDelay: Double?
        var quotaPerDay = false
        var reason: String?
        for detail in error?["details"] as? [[String: Any]] ?? [] {
            if let delay = detail["retryDelay"] as? String { retryDelay = parseDuration(delay) }
            if let r = detail["reason"] as? String { reason = reason ?? r }
            for violation in detail["violations"] as? [[String: Any]] ?? [] {
                if let quota = violation["quotaId"] as? String, quota.contains("PerDay") { quotaPerDay = true }
            }
        }
        return .http(status: status, message: String(message.prefix(500)), retryDelay: retryDelay, quotaPerDay: quotaPerDay, reason: reason)
    }

    /// A protobuf Duration string such as "47s" or "29.72s".
    static func parseDuration(_ text: String) -> Double? {
        guard text.hasSuffix("s") else { return nil }
        return Double(text.dropLast())
    }
}
