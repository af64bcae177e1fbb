/// Runs `body` with what `start` made, and awaits `stop` afterwards whether `body` returns or throws:
/// a server or a mount is never left to outlive its test.
package func withStarted<Thing, Result>(
    _ start: () async throws -> Thing,
    stop: (Thing) async -> Void,
    _ body: (Thing) async throws -> Result
) async throws -> Result {
    let thing = try await start()
    do {
        let result = try await body(thing)
        await stop(thing)
        return result
    } catch {
        await stop(thing)
        throw error
    }
}
