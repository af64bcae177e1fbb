/// Why the provider chain ended a scene without an image. Every real provider's failure is a
/// fallback, never this: only cancellation and a last resort that cannot render end a scene.
public struct GenerationError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The session was cancelled (shutdown).
        case cancelled
        /// The last resort (the placeholder) failed every try: the session cannot be made.
        case renderFailed = "render_failed"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
