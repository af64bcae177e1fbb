import Foundation
import PostgresNIO
import SystemSupport

/// Where the coordinator's database is, from `--coordinator` (or `SCENEDROP_COORDINATOR`), in libpq's
/// URL form: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=/socket/dir&sslmode=…]`.
/// A `host` starting with `/` (in the authority, percent-encoded, or as the `host` parameter) is a
/// Unix socket directory, as with psql. The password may also come from `PGPASSWORD`, which, unlike
/// a command line, `ps` does not show.
package struct CoordinatorAddress: Sendable, Equatable, CustomStringConvertible {
    package enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case socket(path: String)
    }

    /// libpq's `sslmode`, as far as a client without client certificates can honour it.
    package enum TLSMode: String, Sendable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    package var endpoint: Endpoint
    package var user: String
    package var password: String?
    package var database: String
    package var tlsMode: TLSMode

    package init(
        parsing text: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(CoordinatorError) {
        let usage =
            "write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE, or postgres://USER@/DATABASE?host=/run/postgresql for a Unix socket"
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw CoordinatorError(
                .invalidAddress,
                "--coordinator is not a postgres:// address: \(Self.redact(text)); \(usage)"
            )
        }
        let parameters = Dictionary(
            (url.queryItems ?? []).map { ($0.name, $0.value ?? "") },
            uniquingKeysWith: { _, last in last }
        )
        let known: Set = ["host", "port", "sslmode", "user", "password", "dbname"]
        if let unknown = parameters.keys.sorted().first(where: { !known.contains($0) }) {
            throw CoordinatorError(
                .invalidAddress,
                "--coordinator has the parameter '\(unknown)', which SceneDrop does not use; it knows \(known.sorted().joined(separator: ", "))"
            )
        }
        let port = parameters["port"].flatMap { Int($0) } ?? url.port ?? 5432
        guard (1...65535).contains(port) else {
            throw CoordinatorError(.invalidAddress, "--coordinator names port \(port); a port is 1 to 65535")
        }
        let host = parameters["host"] ?? url.host.flatMap { $0.isEmpty ? nil : $0 } ?? "/var/run/postgresql"
        if host.hasPrefix("/") {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: host, isDirectory: &isDirectory)
            endpoint = .socket(path: exists && !isDirectory.boolValue ? host : host + "/.s.PGSQL.\(port)")
        } else {
            endpoint = .tcp(host: host, port: port)
        }
        user =
            parameters["user"] ?? url.user.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGUSER"] ?? environment[
                "USER"
            ] ?? "postgres"
        password = parameters["password"] ?? url.password ?? environment["PGPASSWORD"]
        if let password { Secrets.register(password) }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        database = parameters["dbname"] ?? (path.isEmpty ? user : path)
        guard let mode = TLSMode(rawValue: parameters["sslmode"] ?? "prefer") else {
            throw CoordinatorError(
                .invalidAddress,
                "--coordinator has sslmode=\(parameters["sslmode"] ?? ""); use disable, prefer, require or verify-full"
            )
        }
        tlsMode = mode
    }

    /// The address without its password, for logs and messages.
    package var description: String {
        let credentials = user + (password == nil ? "" : ":***")
        switch endpoint {
        case .tcp(let host, let port): return "postgres://\(credentials)@\(host):\(port)/\(database)"
        case .socket(let path): return "postgres://\(credentials)@/\(database)?host=\(path)"
        }
    }

    /// The client's configuration. `prefer` and `require` encrypt without checking the certificate,
    /// as libpq does; `verify-full` checks it and the host name.
    var configuration: PostgresClient.Configuration {
        switch endpoint {
        case .socket(let path):
            return PostgresClient.Configuration(
                unixSocketPath: path,
                username: user,
                password: password,
                database: database
            )
        case .tcp(let host, let port):
            var unverified = TLSConfiguration.makeClientConfiguration()
            unverified.certificateVerification = .none
            let tls: PostgresClient.Configuration.TLS =
                switch tlsMode {
                case .disable: .disable
                case .prefer: .prefer(unverified)
                case .require: .require(unverified)
                case .verifyFull: .require(.makeClientConfiguration())
                }
            return PostgresClient.Configuration(
                host: host,
                port: port,
                username: user,
                password: password,
                database: database,
                tls: tls
            )
        }
    }

    /// `text` with any password between `:` and `@` replaced, for an error about an address that did not parse.
    static func redact(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let schemeEnd = text.range(of: "://")?.upperBound,
            let colon = text[schemeEnd..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
