/// Why the coordinator could not do what was asked. `code` is stable (logs, tests); `message` says
/// what happened and, for a bad address, how to write it.
public struct CoordinatorError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable {
        /// `--coordinator` is not a postgres:// address the daemon can use.
        case invalidAddress = "invalid_address"
        /// The database did not answer in time.
        case timeout
        /// The database refused or failed the statement, or the connection broke.
        case database
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
