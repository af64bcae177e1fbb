import Foundation
import Synchronization
import SystemSupport
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// mount or umount to completion; -1 when it could not run (not installed, or hung past a minute).
private func run(_ tool: String, _ arguments: [String]) -> Int32 {
    (try? ChildProcess.run(tool, arguments, timeout: .seconds(60))) ?? -1
}

/// Mounting a small tmpfs needs root (CI runs as root); elsewhere the test says why it was skipped.
private let canMount: Bool = {
    guard getuid() == 0 else { return false }
    let probe = "/tmp/scenedrop-mount-probe-\(getpid())"
    mkdir(probe, 0o755)
    defer { rmdir(probe) }
    guard run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]) == 0 else { return false }
    return run("umount", [probe]) == 0
}()

@Suite struct TransientFaultTests {
    @Test(.enabled(if: canMount, "needs root to mount a small tmpfs as the outbox"))
    func fullDiskHandsTheManifestBackAndPublishesOnceSpaceReturns() async throws {
        try await withTemporaryDirectory { root in
            try FileSystem.makeDirectories(root + "/outbox")
            #expect(run("mount", ["-t", "tmpfs", "-o", "size=48k", "tmpfs", root + "/outbox"]) == 0)
            defer { _ = run("umount", ["-l", root + "/outbox"]) }

            let daemon = try await Daemon.start(root, ["--settle", "200ms"])
            // A reader watches the outbox the whole time, as a next stage would: nothing partial, ever.
            let partial = Mutex<[String]>([])
            let done = Atomic<Bool>(false)
            let readerEnded = Atomic<Bool>(false)
            Thread {
                defer { readerEnded.store(true, ordering: .releasing) }
                while !done.load(ordering: .acquiring) {
                    do { _ = try publishedSessions(root + "/outbox") } catch { partial.withLock { $0.append("\(error)") } }
                }
            }.start()
            defer { done.store(true, ordering: .releasing) }

            let names = (1...4).map { "big-\($0)" }
            var manifests: [String: String] = [:]
            for name in names {
                manifests[name] = manifestJSON(session: name, scenes: 2, width: 1920, height: 1080)
                try dropFile(daemon.inbox + "/\(name).json", manifests[name]!)
            }
            // Each one fails on the full disk and is back in the inbox unchanged, nothing left in staging.
            try await daemon.waitUntil("every manifest back in the inbox after a full disk", timeout: .seconds(60)) {
                let retried = Set(daemon.process.logRecords("retry scheduled").compactMap { $0["scenedrop.file"] })
                return names.allSatisfy { retried.contains("\($0).json") && readText(daemon.inbox + "/\($0).json") == manifests[$0] }
                    && listNames(daemon.outbox + "/.staging", hidden: true).isEmpty
            }
            // Not quarantined, nothing partial published.
            #expect(listNames(daemon.quarantine).isEmpty)
            #expect(try publishedSessions(daemon.outbox).isEmpty)
            let handedBack = daemon.process.logRecords("manifest handed back to the inbox after a system fault")
            #expect(handedBack.first?["error.type"] == "ENOSPC")

            // Space returns: each published exactly once.
            #expect(run("mount", ["-o", "remount,size=16m", root + "/outbox"]) == 0)
            try await waitForSessions(daemon.outbox, count: names.count, timeout: .seconds(60))
            for name in names { #expect(readText(daemon.outbox + "/\(name)/manifest.json") == manifests[name]) }
            #expect(try await daemon.stop() == 0)
            done.store(true, ordering: .releasing)
            try await waitUntil("the outbox reader to end") { readerEnded.load(ordering: .acquiring) }
            #expect(partial.withLock { $0 }.isEmpty, "partial sessions seen: \(partial.withLock { $0.prefix(3) })")
            #expect(daemon.publishes.sorted() == names)
            #expect(listNames(daemon.quarantine).isEmpty)
            #expect(claimsInWork(root) == 0)
        }
    }

    /// The whole root on a filesystem that fills up between the claim and the quarantine: the invalid
    /// manifest and its report go to quarantine together or not at all (before, the manifest went and its
    /// report did not), the manifest is handed back like any disk fault, no message blames a peer (there
    /// is none), and once there is room it is quarantined with its report.
    @Test(.enabled(if: canMount, "needs root to mount a small tmpfs as the root"))
    func aFullDiskAtQuarantineTimeKeepsTheManifestAndItsReportTogether() async throws {
        try await withTemporaryDirectory { base in
            let root = base + "/root"
            try FileSystem.makeDirectories(root)
            #expect(run("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", root]) == 0)
            defer { _ = run("umount", ["-l", root]) }
            let daemon = try await Daemon.start(
                root, ["--settle", "0s", "--lease-renew", "10m", "--lease-timeout", "30m"], logDirectory: base + "/logs")

            // Fill it to the last page, then free exactly one: the manifest takes it, and nothing is left
            // for the report.
            var fillers: [String] = []
            while true {
                let path = root + "/filler-\(fillers.count)"
                guard (try? FileSystem.createFile(path, bytes: [UInt8](repeating: 0x20, count: 4096), sync: false)) != nil else {
                    try? FileSystem.unlinkFile(path)
                    break
                }
                fillers.append(path)
            }
            try FileSystem.unlinkFile(fillers.removeLast())
            let broken = "{\"session\": \"broken\", \"scenes\": ["
            try dropFile(daemon.inbox + "/broken.json", broken)

            try await daemon.waitUntil("broken.json handed back after the full disk") {
                !daemon.process.logRecords("manifest handed back to the inbox after a system fault").isEmpty
            }
            #expect(!FileSystem.exists(daemon.quarantine + "/broken.json"), "no manifest in quarantine without its report")
            #expect(!FileSystem.exists(daemon.quarantine + "/broken.json.error.json"))
            #expect(!daemon.process.stderr.contains("a peer took"), "nothing blames a peer")
            #expect(daemon.process.logRecords("claim vanished from work/ before publishing, and no peer holds a lease: something else removed it; this session is not published here").isEmpty)

            // Room again: quarantined, with its report, once.
            for filler in fillers { try FileSystem.unlinkFile(filler) }
            try await daemon.waitUntil("broken.json quarantined with its report", timeout: .seconds(90)) {
                FileSystem.exists(daemon.quarantine + "/broken.json.error.json")
            }
            #expect(readText(daemon.quarantine + "/broken.json") == broken)
            #expect(!FileSystem.exists(daemon.inbox + "/broken.json"))
            #expect(try await daemon.stop() == 0)
        }
    }
}
