import Foundation
import SystemSupport
import TestSupport
import Testing

/// The messages tests wait on must still be what the daemon logs: a reworded one would otherwise
/// show only as a test timing out a minute and a half later.
@Suite struct DaemonLogTests {
    @Test func everyMessageTestsWaitOnIsStillLogged() throws {
        let sources = try swiftFiles(under: packageRoot + "/Sources").map { readText($0) ?? "" }
        #expect(sources.count > 50, "found the sources at \(packageRoot)/Sources")
        for message in DaemonLog.allCases {
            // Messages are constant literals (style: "constant log messages with metadata").
            let literal = "\"" + message.rawValue + "\""
            #expect(
                sources.contains { $0.contains(literal) },
                "no source file logs \(literal): update its case in DaemonLog and the tests that wait on it"
            )
        }
    }

    private func swiftFiles(under folder: String) throws -> [String] {
        var found: [String] = []
        for name in listNames(folder) {
            let path = folder + "/" + name
            if try FileSystem.info(path)?.kind == .directory {
                found += try swiftFiles(under: path)
            } else if name.hasSuffix(".swift") {
                found.append(path)
            }
        }
        return found
    }
}
