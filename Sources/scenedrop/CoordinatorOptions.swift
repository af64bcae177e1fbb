import ArgumentParser
import Coordination

/// `--coordinator`: shared by `watch`, `process` (the budget and the registry) and `status` (the fleet).
struct CoordinatorOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "A PostgreSQL database shared by every instance: the daily budget holds exactly across hosts, and `scenedrop status` shows the fleet. postgres://USER:PASSWORD@HOST:PORT/DATABASE, or postgres://USER@/DATABASE?host=/run/postgresql for a Unix socket (or set SCENEDROP_COORDINATOR, which ps does not show; a password may also come from PGPASSWORD).",
            valueName: "url"
        )
    )
    var coordinator: String?

    func validate() throws {
        _ = try address()
    }

    /// The address from `--coordinator` or `SCENEDROP_COORDINATOR`; nil when neither is set.
    func address() throws -> CoordinatorAddress? {
        guard let text = coordinator ?? environment("SCENEDROP_COORDINATOR") else { return nil }
        do {
            return try CoordinatorAddress(parsing: text)
        } catch {
            throw ValidationError(error.message)
        }
    }
}
