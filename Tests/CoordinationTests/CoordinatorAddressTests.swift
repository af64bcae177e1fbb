import Testing

@testable import Coordination

struct CoordinatorAddressTests {
    @Test func aTCPAddressGivesItsPartsAndHidesThePassword() throws {
        let address = try CoordinatorAddress(
            parsing: "postgres://farm:s3cr%40t@db.example:6543/budget?sslmode=require",
            environment: [:]
        )
        #expect(address.endpoint == .tcp(host: "db.example", port: 6543))
        #expect(address.user == "farm")
        #expect(address.password == "s3cr@t")
        #expect(address.database == "budget")
        #expect(address.tlsMode == .require)
        #expect(address.description == "postgres://farm:***@db.example:6543/budget")
        #expect(!address.description.contains("s3cr"))
    }

    @Test func aSocketFolderIsTheServersSocketInIt() throws {
        let address = try CoordinatorAddress(parsing: "postgresql://farm@/budget?host=/tmp&port=5433", environment: [:])
        #expect(address.endpoint == .socket(path: "/tmp/.s.PGSQL.5433"))
        #expect(address.password == nil)
    }

    @Test func whatIsMissingComesFromTheEnvironmentAsWithPsql() throws {
        let address = try CoordinatorAddress(
            parsing: "postgres://db.example",
            environment: ["USER": "render", "PGPASSWORD": "pw"]
        )
        #expect(address.endpoint == .tcp(host: "db.example", port: 5432))
        #expect(address.user == "render")
        #expect(address.database == "render")
        #expect(address.password == "pw")
        #expect(address.tlsMode == .prefer)
    }

    @Test func aWrongAddressSaysHowToWriteItWithoutThePassword() {
        for (text, expected) in [
            ("mysql://farm:hunter2@db/budget", "is not a postgres:// address"),
            ("postgres://farm@db/budget?sslmode=always", "sslmode=always"),
            ("postgres://farm@db/budget?timeout=3", "the parameter 'timeout'"),
        ] {
            #expect {
                _ = try CoordinatorAddress(parsing: text, environment: [:])
            } throws: { error in
                let error = error as! CoordinatorError
                return error.code == .invalidAddress && error.message.contains(expected)
                    && !error.message.contains("hunter2")
            }
        }
    }
}
