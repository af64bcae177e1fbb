import Foundation
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `Type=notify` through the built binary and a real datagram socket, as systemd runs it.
@Suite struct SystemdNotifyTests {
    @Test func readyAfterTheWatchWatchdogWhileRunningStoppingAtSIGTERM() async throws {
        try await withTemporaryDirectory { root in
            let socket = try NotifySocket(path: root + "/notify.sock")
            try FileSystem.makeDirectories(root + "/logs")
            // WatchdogSec=0.4s: a ping every 0.2 s.
            let process = try SceneDropProcess(
                ["watch", "--root", root, "--log-format", "json"],
                logDirectory: root + "/logs",
                environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"]
            )
            try await waitUntil("READY=1 (log: \(process.stderrPath))") {
                guard process.isRunning else { throw DaemonExited(stderr: process.stderr) }
                return socket.lines.contains("READY=1")
            }
            #expect(!process.logRecords(.inboxWatchInPlace).isEmpty, "READY=1 came before the watch was in place")
            let ready = try #require(socket.messages.first { $0.contains("READY=1") })
            #expect(ready.contains("STATUS=watching \(root)/inbox: 0 claimed, 0 in flight"), "\(ready)")

            try dropFile(root + "/inbox/n.json", manifestJSON(session: "n"))
            try await waitForSessions(root + "/outbox", count: 1)
            try await waitUntil("a status with the claim and two watchdog pings") {
                socket.lines.contains { $0.hasPrefix("STATUS=") && $0.contains("1 claimed") }
                    && socket.lines.filter { $0 == "WATCHDOG=1" }.count >= 2
            }

            process.signal(SIGTERM)
            #expect(try await process.waitForExit() == 0)
            let lines = socket.lines
            let readyAt = try #require(lines.firstIndex(of: "READY=1"))
            let stoppingAt = try #require(lines.firstIndex(of: "STOPPING=1"), "\(lines.suffix(5))")
            #expect(readyAt < stoppingAt)
            #expect(!lines[stoppingAt...].contains("READY=1"))
            try await socket.stop()
        }
    }

    /// Outside systemd nothing is sent, and nothing about it is logged as a problem.
    @Test func withoutNotifySocketNothingIsTried() async throws {
        try await withTemporaryDirectory { root in
            let daemon = try await WatchDaemon.start(root)
            #expect(try await daemon.stop() == 0)
            #expect(daemon.process.logRecords(.systemdNotificationFailed).isEmpty)
        }
    }
}
