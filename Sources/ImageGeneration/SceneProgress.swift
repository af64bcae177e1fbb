/// What one scene is doing inside the provider chain, as it happens: the web view shows it live and
/// the daemon's metrics count it. Reported through `ProviderPhases.progress`; a report never blocks.
package enum SceneProgress: Sendable, Equatable {
    /// Request number `attempt` to `model` is going out.
    case requesting(model: String, attempt: Int)
    /// Waiting for a 429 cool-down or a `--rpm` turn until `untilWall` (seconds since the epoch).
    case waiting(model: String, untilWall: Double)
    /// An answer (or its failure) arrived after `seconds`. `statusClass`: `2xx`, `4xx`, `5xx`, or
    /// `none` when no HTTP status came back (timeout, refused connection).
    case answered(model: String, statusClass: String, seconds: Double)
    /// The scene is in a Batch API job (`job`, e.g. `batches/abc`), last seen in `state`.
    case batched(job: String, state: String)
    /// A provider that makes images itself (the placeholder) is rendering.
    case rendering(provider: String)
}
