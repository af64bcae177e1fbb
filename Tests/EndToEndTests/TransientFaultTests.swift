import Foundation
import SystemSupport
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

private func run(_ tool: String, _ arguments: [String]) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return -1 }
    process.waitUntilExit()
    return process.terminationStatus
}

/// Mounting a small tmpfs needs root (CI runs as root); elsewhere the test says why it was skipped.
private let canMount: Bool = {
    guard getuid() == 0 else { return false }
    let probe = "/tmp/scenedrop-mount-probe-\(getpid())"
    mkdir(probe, 0o755)
    defer { rmdir(probe) }
    guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]) == 0 else { return false }
    return run("/bin/umount", [probe]) == 0
}()

@Suite struct TransientFaultTests {
    @Test(.enabled(if: canMount, "needs root to mount a small tmpfs as the outbox"))
    func fullDiskHandsTheManifestBackAndPublishesOnceSpaceReturns() async throws {
        try await withTemporaryDirectory { root in
            try FileSystem.makeDirectories(root + "/outbox")
            #expect(run("/bin/mount", ["-t", "tmpfs", "-o", "size=48k", "tmpfs", root + "/outbox"]) == 0)
            defer { _ = run("/bin/umount", ["-l", root + "/outbox"]) }

            let daemon = try await Daemon.start(root, ["--settle", "200ms"])
            let manifest = manifestJSON(session: "big", scenes: 2, width: 1920, height: 1080)
            try dropFile(daemon.inbox + "/big.json", manifest)
            // Between attempts: the manifest back in the inbox unchanged, nothing left in staging.
            try await daemon.waitUntil("the manifest back in the inbox after a full disk") {
                !daemon.process.logRecords("retry scheduled").isEmpty
                    && readText(daemon.inbox + "/big.json") == manifest
                    && listNames(daemon.outbox + "/.staging", hidden: true).isEmpty
            }
            // Not quarantined, nothing partial published.
            #expect(listNames(daemon.quarantine).isEmpty)
            #expect(try publishedSessions(daemon.outbox).isEmpty)
            let handedBack = daemon.process.logRecords("manifest handed back to the inbox after a system fault")
            #expect(handedBack.first?["error.type"] == "ENOSPC")

            // Space returns: published exactly once.
            #expect(run("/bin/mount", ["-o", "remount,size=16m", root + "/outbox"]) == 0)
            try await waitForSessions(daemon.outbox, count: 1, timeout: .seconds(60))
            #expect(readText(daemon.outbox + "/big/manifest.json") == manifest)
            #expect(try await daemon.stop() == 0)
            #expect(daemon.publishes == ["big"])
            #expect(listNames(daemon.quarantine).isEmpty)
            #expect(claimsInWork(root) == 0)
        }
    }
}
