import FakeGemini
import Foundation
import Imaging
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

            let daemon = try await WatchDaemon.start(root, ["--settle", "200ms"])
            // A reader watches the outbox the whole time, as a next stage would: nothing partial, ever.
            let partial = Mutex<[String]>([])
            let done = Atomic<Bool>(false)
            let readerEnded = Atomic<Bool>(false)
            Thread {
                defer { readerEnded.store(true, ordering: .releasing) }
                while !done.load(ordering: .acquiring) {
                    do { _ = try publishedSessions(root + "/outbox") } catch {
                        partial.withLock { $0.append("\(error)") }
                    }
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
                let retried = Set(daemon.process.logRecords(.retryScheduled).compactMap { $0["scenedrop.file"] })
                return names.allSatisfy {
                    retried.contains("\($0).json") && readText(daemon.inbox + "/\($0).json") == manifests[$0]
                }
                    && listNames(daemon.outbox + "/.staging", hidden: true).isEmpty
            }
            // Not quarantined, nothing partial published.
            #expect(listNames(daemon.quarantine).isEmpty)
            #expect(try publishedSessions(daemon.outbox).isEmpty)
            let handedBack = daemon.process.logRecords(.handedBackAfterSystemFault)
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
            let daemon = try await WatchDaemon.start(
                root,
                ["--settle", "0s", "--lease-renew", "10m", "--lease-timeout", "30m"],
                logDirectory: base + "/logs"
            )

            // Fill it to the last page, then free exactly one: the manifest takes it, and nothing is left
            // for the report.
            let fillers = try Self.fill(root, leaving: 1)
            let broken = "{\"session\": \"broken\", \"scenes\": ["
            try dropFile(daemon.inbox + "/broken.json", broken)

            try await daemon.waitForLog(.handedBackAfterSystemFault)
            #expect(
                !FileSystem.exists(daemon.quarantine + "/broken.json"),
                "no manifest in quarantine without its report"
            )
            #expect(!FileSystem.exists(daemon.quarantine + "/broken.json.error.json"))
            #expect(!daemon.process.stderr.contains("a peer took"), "nothing blames a peer")
            #expect(
                daemon.process.logRecords(.claimVanished).isEmpty
            )

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

    /// Fills the filesystem at `root` with 4 KB files, then frees `pages` of them. Returns the rest.
    static func fill(_ root: String, leaving pages: Int) throws -> [String] {
        var fillers: [String] = []
        while true {
            let path = root + "/filler-\(fillers.count)"
            guard (try? FileSystem.createFile(path, bytes: [UInt8](repeating: 0x20, count: 4096), sync: false)) != nil
            else {
                try? FileSystem.unlinkFile(path)
                break
            }
            fillers.append(path)
        }
        for _ in 0..<pages { try FileSystem.unlinkFile(fillers.removeLast()) }
        return fillers
    }

    /// A full state disk with a key (the inbox and the state on one full filesystem, the outbox on another): no
    /// paid request goes out, since its charge could not be recorded. Without a budget the scenes fall back at
    /// once as `ledger_unwritable`; with one they wait (--coordinator-wait), then `budget_unavailable`. Said
    /// once in the log. Before: 18 paid answers ($0.60) in 70 s with a $0.10 budget and no ledger line.
    @Test(.enabled(if: canMount, "needs root to mount a small tmpfs"), arguments: [false, true])
    func aFullStateDiskSendsNoPaidRequest(budget: Bool) async throws {
        let jpeg = try PlaceholderImages.jpeg()
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(jpeg, mimeType: "image/jpeg") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { base in
                let root = base + "/root"
                try FileSystem.makeDirectories(root)
                #expect(run("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", root]) == 0)
                defer { _ = run("umount", ["-l", root]) }
                let environment = [
                    "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                ]
                var options = [
                    "--settle", "0s", "--outbox", base + "/outbox", "--lease-renew", "10m", "--lease-timeout", "30m",
                ]
                if budget { options += ["--daily-budget-usd", "0.10", "--coordinator-wait", "2s"] }
                let daemon = try await WatchDaemon.start(
                    root,
                    options,
                    environment: environment,
                    logDirectory: base + "/logs"
                )
                _ = try Self.fill(root, leaving: 1)
                try dropFile(daemon.inbox + "/paid.json", manifestJSON(session: "paid", scenes: 3))
                try await daemon.waitUntil("the session published with placeholders") {
                    FileSystem.exists(base + "/outbox/paid/session.json")
                }
                #expect(
                    server.generateRequests.isEmpty,
                    "\(server.generateRequests.count) paid requests went out unrecorded"
                )
                for scene in 1...3 {
                    let meta = try #require(
                        jsonObject(base + "/outbox/paid/" + String(format: "scene-%03d.json", scene))
                    )
                    let fallback = try #require(meta["fallback"] as? [String: Any])
                    #expect(fallback["reason"] as? String == (budget ? "budget_unavailable" : "ledger_unwritable"))
                    #expect(
                        ((fallback["tried"] as? [[String: Any]])?.first?["error"] as? String)?.contains(
                            "cannot be written"
                        ) == true
                    )
                }
                #expect(
                    daemon.process.logRecords(.ledgerUnwritable).count == 1
                )
                #expect(try await daemon.stop() == 0)
            }
        }
    }

    /// A full disk under one scene does not cancel another scene's request under way: that image is paid for
    /// either way, so it is awaited and kept, and the next try asks for nothing again. Scene 2's answer is held
    /// until scene 1's write has failed.
    @Test(.enabled(if: canMount, "needs root to mount a small tmpfs as the outbox"))
    func aWriteFaultDoesNotCancelARequestUnderWay() async throws {
        let jpeg = try PlaceholderImages.jpeg()
        let gate = Gate()
        let emulator = GeminiEmulator { call in
            var answer = GeminiEmulator.image(jpeg, mimeType: "image/jpeg")
            if call.prompt.hasPrefix("A test scene 2") { answer.heldBy = gate }
            return answer
        }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try FileSystem.makeDirectories(root + "/outbox")
                #expect(run("mount", ["-t", "tmpfs", "-o", "size=48k", "tmpfs", root + "/outbox"]) == 0)
                defer { _ = run("umount", ["-l", root + "/outbox"]) }
                let daemon = try await WatchDaemon.start(
                    root,
                    ["--settle", "0s", "--no-cache"],
                    environment: [
                        "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                    ]
                )
                try dropFile(
                    daemon.inbox + "/paid.json",
                    manifestJSON(session: "paid", scenes: 2, width: 1920, height: 1080)
                )
                try await daemon.waitForLog(.sceneNotWritten) { $0["scenedrop.scene"] == "1" }
                #expect(server.generateRequests.count == 2)
                #expect(daemon.process.logRecords(.handedBackAfterSystemFault).isEmpty, "scene 2 is still awaited")
                gate.release()
                try await daemon.waitForLog(.handedBackAfterSystemFault)
                #expect(run("mount", ["-o", "remount,size=16m", root + "/outbox"]) == 0)
                try await daemon.waitUntil("the session published once there is room") {
                    FileSystem.exists(root + "/outbox/paid/session.json")
                }
                #expect(server.generateRequests.count == 2, "scene 2's image was kept, not asked for again")
                #expect(try await daemon.stop() == 0)
            }
        }
    }

    /// A session whose images were paid for and which could not be published (a full outbox) is handed back and
    /// made again from the images already paid for: each image is requested, and recorded, once. Before, the
    /// session was handed back and its images requested (and paid for) again on every try.
    @Test(.enabled(if: canMount, "needs root to mount a small tmpfs as the outbox"))
    func anImagePaidForIsNotPaidForAgainAfterADiskFault() async throws {
        let jpeg = try PlaceholderImages.jpeg()
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(jpeg, mimeType: "image/jpeg") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try FileSystem.makeDirectories(root + "/outbox")
                #expect(run("mount", ["-t", "tmpfs", "-o", "size=48k", "tmpfs", root + "/outbox"]) == 0)
                defer { _ = run("umount", ["-l", root + "/outbox"]) }
                let environment = [
                    "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                ]
                let daemon = try await WatchDaemon.start(
                    root,
                    ["--settle", "0s", "--no-cache"],
                    environment: environment
                )
                try dropFile(
                    daemon.inbox + "/paid.json",
                    manifestJSON(session: "paid", scenes: 2, width: 1920, height: 1080)
                )
                try await daemon.waitForLog(.handedBackAfterSystemFault, count: 2)
                #expect(run("mount", ["-o", "remount,size=16m", root + "/outbox"]) == 0)
                try await daemon.waitUntil("the session published once there is room") {
                    FileSystem.exists(root + "/outbox/paid/session.json")
                }
                #expect(server.generateRequests.count == 2, "each image requested once, not once per try")
                let ledger = try #require(
                    listNames(root + "/.scenedrop/ledger").first.flatMap { readText(root + "/.scenedrop/ledger/" + $0) }
                )
                let charges = ledger.split(separator: "\n").filter { !$0.contains("\"refund\"") }
                #expect(charges.count == 2, "\(ledger)")
                let session = try #require(jsonObject(root + "/outbox/paid/session.json"))
                #expect((session["totals"] as? [String: Any])?["generated"] as? Int == 2)
                #expect(try await daemon.stop() == 0)
            }
        }
    }
}

/// A real-looking JPEG answer for the fake API, made once.
enum PlaceholderImages {
    static func jpeg() throws -> [UInt8] {
        try PlaceholderCard(
            sceneNumber: 1,
            prompt: "paid",
            style: "photorealistic",
            width: 1376,
            height: 768,
            format: .jpeg
        ).render()
    }
}
