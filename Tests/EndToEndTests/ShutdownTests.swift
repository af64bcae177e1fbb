import FakeGemini
import Foundation
import Imaging
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM while sessions are in flight: nothing lost, nothing partial, exit 0.
@Suite struct ShutdownTests {
    func dropBigManifests(_ root: String, count: Int) throws -> Set<String> {
        var names: Set<String> = []
        for i in 0..<count {
            try writeFile(
                root + "/inbox/job-\(i).json",
                manifestJSON(session: "job-\(i)", scenes: 6, width: 1920, height: 1080)
            )
            names.insert("job-\(i)")
        }
        return names
    }

    /// Every manifest is either a complete session or back in the inbox; nothing in work/ or staging.
    func expectNothingLostNothingPartial(_ root: String, _ names: Set<String>) throws {
        let sessions = try publishedSessions(root + "/outbox")  // throws on a partial session
        for session in sessions { #expect(session.sceneEntries.count == 6) }
        let inInbox = Set(listNames(root + "/inbox").map { String($0.dropLast(".json".count)) })
        #expect(Set(sessions.map(\.name)).union(inInbox) == names)
        #expect(Set(sessions.map(\.name)).isDisjoint(with: inInbox))
        #expect(claimsInWork(root) == 0)
        #expect(listNames(root + "/.scenedrop/work").isEmpty, "the instance left no lock or folder")
        #expect(listNames(root + "/outbox/.staging", hidden: true).isEmpty)
        #expect(listNames(root + "/quarantine").isEmpty)
    }

    /// Twelve big manifests in a fresh root and a daemon started on them with `options`, its images from the fake
    /// API at 1.5 s each, one request at a time: 12 sessions of 6 scenes would take about 110 s, a window to stop
    /// in that a test starved by a loaded CI machine cannot miss (with placeholders, the daemon once finished all
    /// of them before the test first looked).
    func withSlowSessionsInFlight(
        _ options: [String],
        _ body: (_ root: String, _ names: Set<String>, _ daemon: WatchDaemon) async throws -> Void
    ) async throws {
        let emulator = GeminiEmulator { _ in
            GeminiEmulator.image(GeminiEndToEndTests.jpeg, mimeType: "image/jpeg", delay: .milliseconds(1500))
        }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let names = try dropBigManifests(root, count: 12)
                // --no-cache: the manifests share prompts, and cached images would end every session after the
                // first in a moment, before a starved test looks.
                let daemon = try await WatchDaemon.start(
                    root,
                    ["--concurrency", "1", "--no-cache"] + options,
                    environment: [
                        "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                    ]
                )
                try await body(root, names, daemon)
            }
        }
    }

    @Test func sessionsInFlightFinishBeforeExit() async throws {
        // Two sessions in hand finish in about 18 s, well inside the 30 s grace.
        try await withSlowSessionsInFlight(["--max-sessions", "2"]) { root, names, daemon in
            try await daemon.waitUntil("sessions in flight", timeout: .seconds(60)) { claimsInWork(root) > 0 }
            // The sessions in hand just before SIGTERM (each is published by then, or still in hand at it).
            let inHand = claimedSessionNames(root)
            #expect(!inHand.isEmpty)
            #expect(try await daemon.stop() == 0)
            #expect(!daemon.process.terminationReasonIsSignal)
            try expectNothingLostNothingPartial(root, names)
            // What was in hand at SIGTERM was finished, not abandoned: those very sessions are published.
            let published = Set(try publishedSessions(root + "/outbox").map(\.name))
            #expect(inHand.isSubset(of: published), "in hand \(inHand.sorted()), published \(published.sorted())")
        }
    }

    @Test func whatCannotFinishInTheGracePeriodIsHandedBack() async throws {
        // None of the sessions in flight can finish in the 100 ms grace.
        try await withSlowSessionsInFlight(["--max-sessions", "3", "--shutdown-grace", "100ms"]) {
            root,
            names,
            daemon in
            try await daemon.waitUntil("sessions in flight", timeout: .seconds(60)) { claimsInWork(root) >= 2 }
            #expect(try await daemon.stop() == 0)
            try expectNothingLostNothingPartial(root, names)
            #expect(!daemon.process.logRecords(.gracePeriodOver).isEmpty)
            let handedBack = daemon.process.logRecords(.handedBackAtShutdown).compactMap {
                $0["scenedrop.inbox_name"]
            }
            #expect(!handedBack.isEmpty, "the sessions still in flight were handed back")
            for name in handedBack { #expect(FileSystem.exists(root + "/inbox/" + name)) }
        }
    }

    @Test func sigintStopsTheSameWay() async throws {
        try await withTemporaryDirectory { root in
            let daemon = try await WatchDaemon.start(root)
            daemon.process.signal(SIGINT)
            #expect(try await daemon.process.waitForExit() == 0)
            #expect(listNames(root + "/.scenedrop/work").isEmpty)
        }
    }

    /// Twenty schema-legal manifests of 500 scenes at 8192x8192 in the inbox, then a one-scene 320x180 one:
    /// the small one is published while the big ones hold every session slot (it goes in the express lane,
    /// and CPU turns go round-robin across sessions), and SIGTERM ends the daemon within its grace plus the
    /// renders already running (the queued ones are never started). Before: the small one still waited
    /// after 145 s, and SIGTERM did not end the daemon within the grace. The wait is printed, not asserted.
    @Test func aSmallSessionIsNotQueuedBehindBigOnesAndSIGTERMEndsAll() async throws {
        try await withTemporaryDirectory { root in
            let scenes = (1...500).map { #"{"scene_number": \#($0), "image_create_prompt": "big \#($0)"}"# }.joined(
                separator: ","
            )
            let big = #"{"aspect_ratio": "1:1", "width": 8192, "height": 8192, "scenes": ["# + scenes + "]}"
            var names: Set<String> = []
            for index in 0..<20 {
                try writeFile(root + "/inbox/big-\(index).json", big)
                names.insert("big-\(index)")
            }
            // Niced: it keeps both cores busy until it stops, and the suite's other tests (a PostgreSQL start
            // among them) must not starve meanwhile.
            let daemon = try await WatchDaemon.start(root, ["--shutdown-grace", "3s"], wrapper: ["nice", "-n", "10"])
            try await daemon.waitUntil("big sessions in flight", timeout: .seconds(60)) { claimsInWork(root) >= 2 }
            let dropped = ContinuousClock.now
            try dropFile(root + "/inbox/small.json", manifestJSON(session: "small", scenes: 1))
            try await daemon.waitUntil("the small session published") {
                FileSystem.exists(root + "/outbox/small/session.json")
            }
            let waited = ContinuousClock.now - dropped
            print(
                "fairness: the 1-scene session was published \(waited) after its drop, with 20 sessions of 500 scenes at 8192x8192 in the inbox"
            )
            let lanes = daemon.process.logRecords(.manifestClaimed).filter { $0["scenedrop.file"] == "small.json" }
                .compactMap { $0["scenedrop.lane"] }
            #expect(lanes == ["express"])

            let stopping = ContinuousClock.now
            #expect(try await daemon.stop(timeout: .seconds(60)) == 0)
            print("fairness: SIGTERM with --shutdown-grace 3s ended the daemon in \(ContinuousClock.now - stopping)")
            // Nothing lost, nothing partial: each big manifest is back in the inbox (or, unlikely, published whole).
            let published = Set(try publishedSessions(root + "/outbox").map(\.name))
            let inInbox = Set(listNames(root + "/inbox").map { String($0.dropLast(".json".count)) })
            #expect(published.union(inInbox).isSuperset(of: names))
            #expect(claimsInWork(root) == 0)
            #expect(listNames(root + "/outbox/.staging", hidden: true).isEmpty)
        }
    }

    /// SIGHUP (a closed terminal), SIGUSR1 and SIGUSR2 while sessions are in flight: the daemon goes on and
    /// publishes them all; only SIGTERM ends it, with nothing left in work/. Before: SIGHUP killed it at once,
    /// leaving the claim in work/ and a staging folder.
    @Test func sighupAndTheUserSignalsDoNotEndTheDaemon() async throws {
        // The answer is held until the signals have come: the claim is surely in hand then, however loaded the
        // machine.
        let jpeg = try PlaceholderCard(
            sceneNumber: 1,
            prompt: "slow",
            style: "minimal",
            width: 1376,
            height: 768,
            format: .jpeg
        ).render()
        let gate = Gate()
        let emulator = GeminiEmulator { _ in
            var answer = GeminiEmulator.image(jpeg, mimeType: "image/jpeg")
            answer.heldBy = gate
            return answer
        }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let names: Set<String> = ["s-0"]
                for name in names { try writeFile(root + "/inbox/\(name).json", manifestJSON(session: name)) }
                let environment = [
                    "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                ]
                let daemon = try await WatchDaemon.start(
                    root,
                    ["--concurrency", "1", "--max-sessions", "2"],
                    environment: environment
                )
                try await daemon.waitUntil("sessions in flight", timeout: .seconds(60)) { claimsInWork(root) > 0 }
                for signal in [SIGHUP, SIGUSR1, SIGUSR2] { daemon.process.signal(signal) }
                // Only now may the session finish: a daemon the signals kill could not publish it.
                gate.release()
                let sessions = try await waitForSessions(root + "/outbox", count: names.count)
                #expect(Set(sessions.map(\.name)) == names)
                #expect(daemon.process.isRunning)
                #expect(try await daemon.stop() == 0)
                #expect(claimsInWork(root) == 0)
                #expect(listNames(root + "/outbox/.staging", hidden: true).isEmpty)
            }
        }
    }

    /// `scenedrop watch … 2>&1 | head -1`: once the reader of its log is gone, a log write fails with EPIPE; the
    /// daemon goes on and publishes the next manifest. Before: it died of SIGPIPE.
    @Test func aClosedLogPipeDoesNotStopTheDaemon() async throws {
        try await withTemporaryDirectory { root in
            try FileSystem.makeDirectories(root + "/inbox")
            let child = try ChildProcess(
                SceneDropProcess.binary,
                ["watch", "--root", root, "--settle", "0s"],
                stdout: .null,
                stderr: .pipe
            )
            defer { child.stopNow() }
            let log = try #require(child.standardError)
            // Read its first line, as `head -1` does, then go away.
            var first: [UInt8] = []
            while !first.contains(0x0A) {
                let chunk = try await onOwnThread { log.availableData }
                guard !chunk.isEmpty else { break }
                first += chunk
            }
            #expect(!first.isEmpty)
            try log.close()
            try dropFile(root + "/inbox/after.json", manifestJSON(session: "after"))
            try await waitUntil("the manifest published with nobody reading the log") {
                FileSystem.exists(root + "/outbox/after/session.json")
            }
            #expect(child.isRunning, "the daemon died when its log pipe closed")
            child.signal(SIGTERM)
            #expect(try await child.wait(timeout: .seconds(60)) == 0)
        }
    }
}
