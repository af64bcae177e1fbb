/// Why the provider chain ended a scene without an image. Every real provider's failure is a
/// fallback, never this: only cancellation and a last resort that cannot render end a scene.
package struct GenerationError: Error, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// The session was cancelled (shutdown).
        case cancelled
        /// The last resort (the placeholder) failed every try: the session cannot be made.
        case renderFailed = "render_failed"
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code.rawValue): \(message)" }
}
