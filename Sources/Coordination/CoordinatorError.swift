/// Why the coordinator could not do what was asked. `code` is stable (logs, tests); `message` says
/// what happened and, for a bad address, how to write it.
package struct CoordinatorError: Error, Sendable, CustomStringConvertible, Equatable {
    package enum Code: String, Sendable {
        /// `--coordinator` is not a postgres:// address the daemon can use.
        case invalidAddress = "invalid_address"
        /// The database did not answer in time.
        case timeout
        /// The database refused or failed the statement, or the connection broke.
        case database
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
