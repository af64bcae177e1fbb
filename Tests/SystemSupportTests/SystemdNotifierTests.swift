import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SystemdNotifierTests {
    @Test func theEnvironmentSaysWhetherAndHowOftenToNotify() {
        #expect(SystemdNotifier(environment: [:]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]) == nil)
        // vsock: and other address forms are not sockets we can reach without libsystemd.
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "vsock:2:1234"]) == nil)
        let plain = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/systemd/notify"])
        #expect(plain?.watchdogInterval == nil)
        // Half of WatchdogSec, as sd_watchdog_enabled(3) advises.
        let watched = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000"])
        #expect(watched?.watchdogInterval == .seconds(15))
        // A watchdog meant for another process (WATCHDOG_PID) is not ours to ping.
        let other = SystemdNotifier(environment: [
            "NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid() + 1)",
        ])
        #expect(other?.watchdogInterval == nil)
        let mine = SystemdNotifier(environment: [
            "NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid())",
        ])
        #expect(mine?.watchdogInterval == .seconds(15))
    }

    /// systemd often hands out an abstract socket (`@…`); the message arrives whole, one datagram.
    @Test func aMessageReachesAnAbstractSocket() async throws {
        let name = "@scenedrop-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let socket = try NotifySocket(path: name)
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": name]))
        try notifier.send(["READY=1", "STATUS=watching /in: 0 claimed"])
        try await waitUntil("the datagram") { !socket.messages.isEmpty }
        #expect(socket.messages == ["READY=1\nSTATUS=watching /in: 0 claimed\n"])
        try await socket.stop()
    }
}
