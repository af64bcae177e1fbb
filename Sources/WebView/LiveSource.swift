/// What the web view needs from the daemon. The daemon implements it; the web view only reads
/// through it (and requeues), so it never reaches into the daemon's types.
package protocol LiveSource: Sendable {
    /// The state now.
    func live() async -> LiveState
    /// Yields whenever the state changed. Each subscriber gets its own stream, buffering at most one
    /// pending change: a client that reads slowly sees fewer, newer updates, and holds no memory.
    func changes() -> AsyncStream<Void>
    /// Moves a quarantined manifest back into the inbox; the refusal says why not.
    func requeue(_ name: String) async -> Result<String, RequeueRefusal>
    /// Why the daemon is not ready (no watch, a folder not writable, shutting down); empty when it is.
    func problems() async -> [String]
    /// `/metrics`, in the Prometheus text format.
    func metricsText() -> String
}

package struct RequeueRefusal: Error, Sendable {
    package enum Code: String, Sendable {
        case notFound = "not_found"
        case conflict
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
