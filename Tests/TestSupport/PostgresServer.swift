import Foundation
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL server from Debian's packages: its own cluster in a temporary folder, on a
/// free loopback port, trusting the local user `scenedrop`. It can be stopped and started again on the
/// same port and data (the coordinator-down tests). As root, the server runs as the `postgres` user
/// (it refuses root).
package final class PostgresServer: @unchecked Sendable {
    package let port: Int
    package let data: String
    private let binaries: String
    private var server: ChildProcess?

    /// The address a daemon is given with `--coordinator`.
    package var url: String { "postgres://scenedrop@127.0.0.1:\(port)/scenedrop?sslmode=disable" }

    /// Why a server cannot be started here, or nil when it can.
    package static var unavailable: String? {
        guard binaryFolder() != nil else {
            return "PostgreSQL's server is not installed (Debian package postgresql; .ci/setup test installs it)"
        }
        guard (try? Tool.path("psql")) != nil else {
            return "psql is not installed (Debian package postgresql-client; .ci/setup test installs it)"
        }
        if geteuid() == 0, getpwnam("postgres") == nil {
            return "running as root and there is no postgres user to run the server as"
        }
        return nil
    }

    /// The newest `/usr/lib/postgresql/<version>/bin` with a server.
    static func binaryFolder() -> String? {
        let versions = ((try? FileSystem.list("/usr/lib/postgresql")) ?? []).compactMap { Int($0.name) }.sorted()
        return versions.reversed().map { "/usr/lib/postgresql/\($0)/bin" }.first { access($0 + "/postgres", X_OK) == 0 }
    }

    private init(port: Int, data: String, binaries: String) {
        self.port = port
        self.data = data
        self.binaries = binaries
    }

    /// A new cluster in `dir/pg`, started, with the database `scenedrop`.
    package static func start(in dir: String) async throws -> PostgresServer {
        guard let binaries = binaryFolder() else { throw SetupFailed(what: "no PostgreSQL server binaries") }
        let data = dir + "/pg"
        try FileSystem.makeDirectories(data, mode: 0o700)
        if geteuid() == 0, let user = getpwnam("postgres") {
            chmod(dir, 0o755)
            chown(data, user.pointee.pw_uid, user.pointee.pw_gid)
        }
        let server = PostgresServer(port: try SSHFSVolume.freePort(), data: data, binaries: binaries)
        let initdb = try server.asServerUser(
            binaries + "/initdb",
            ["-D", data, "-A", "trust", "-U", "scenedrop", "--no-sync", "-E", "UTF8"],
            log: dir + "/initdb.log"
        )
        guard try await initdb.wait(timeout: .seconds(120)) == 0 else {
            throw SetupFailed(
                what: "initdb failed: " + String(decoding: readFile(dir + "/initdb.log") ?? [], as: UTF8.self)
            )
        }
        try await server.startAgain()
        _ = try await server.query("CREATE DATABASE scenedrop", database: "postgres")
        return server
    }

    /// Starts the server (again) on the same port and data; returns once it answers.
    package func startAgain() async throws {
        server = try asServerUser(
            binaries + "/postgres",
            [
                "-D", data, "-p", "\(port)", "-h", "127.0.0.1", "-k", data, "-c", "fsync=off", "-c",
                "max_connections=100",
            ],
            log: data + "/../postgres.log"
        )
        let deadline = ContinuousClock.now + .seconds(60)
        while (try? await query("SELECT 1", database: "postgres")) != "1" {
            guard ContinuousClock.now < deadline else {
                throw TimedOut(what: "PostgreSQL answering on 127.0.0.1:\(port)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Stops the server (a fast shutdown: clients are disconnected, everything committed is kept).
    package func stop() async {
        // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
        server?.signalGroup(SIGINT)
        await server?.stop(grace: .seconds(30))
        server = nil
    }

    /// Runs `sql` with psql; returns its unaligned, tuples-only output, trimmed.
    package func query(_ sql: String, database: String = "scenedrop") async throws -> String {
        let psql = try ChildProcess("psql", arguments(sql, database: database), stdout: .pipe, stderr: .pipe)
        guard try await psql.wait(timeout: .seconds(60)) == 0 else {
            throw SetupFailed(
                what: "psql failed: \(sql): "
                    + String(decoding: psql.standardError?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
            )
        }
        return String(decoding: psql.standardOutput?.readDataToEndOfFile() ?? Data(), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines
        )
    }

    private func arguments(_ sql: String, database: String) -> [String] {
        [
            "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", "scenedrop",
            "-d", database, "-c", sql,
        ]
    }

    /// As root, through `setpriv` as the postgres user (which execs, so signals reach the server itself).
    private func asServerUser(_ tool: String, _ arguments: [String], log: String) throws -> ChildProcess {
        guard geteuid() == 0 else { return try ChildProcess(tool, arguments, stdout: .null, stderr: .file(log)) }
        return try ChildProcess(
            "setpriv",
            ["--reuid=postgres", "--regid=postgres", "--init-groups", tool] + arguments,
            stdout: .null,
            stderr: .file(log)
        )
    }

    struct SetupFailed: Error, CustomStringConvertible {
        var what: String
        var description: String { "could not set up the PostgreSQL server: \(what)" }
    }
}

/// Runs `body` with a fresh private server, stopped afterwards.
package func withPostgresServer<Result>(_ body: (PostgresServer) async throws -> Result) async throws -> Result {
    try await withTemporaryDirectory { dir in
        try await withStarted({ try await PostgresServer.start(in: dir) }, stop: { await $0.stop() }, body)
    }
}
