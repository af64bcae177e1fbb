import FakeGemini
import Foundation
import Imaging
import SystemSupport
import TestSupport
import Testing

/// Batch mode through the built binary and the fake Batch API (issue 10, points 5-8): half the
/// price, a record that survives kill -9, re-drops that cancel, and every way a job can fail.
@Suite struct BatchModeTests {
    static let jpeg = try! PlaceholderCard(
        sceneNumber: 1,
        prompt: "batch",
        style: "photorealistic",
        width: 1376,
        height: 768,
        format: .jpeg
    ).render()

    func environment(_ server: FakeGeminiServer) -> [String: String] {
        ["SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey]
    }

    func emulator(_ behaviour: BatchBehaviour) -> GeminiEmulator {
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
        emulator.setBatchBehaviour(behaviour)
        return emulator
    }

    func batchManifest(_ session: String, prompt: String = "a lighthouse", scenes: Int = 3) -> String {
        let list = (1...scenes).map { "{\"scene_number\": \($0), \"image_create_prompt\": \"\(prompt) \($0)\"}" }
            .joined(separator: ", ")
        return
            "{\"session\": \"\(session)\", \"priority\": \"batch\", \"width\": 320, \"height\": 180, \"scenes\": [\(list)]}"
    }

    /// The name of the session's first recorded job, once the API has given it one.
    func recordedJob(_ root: String, _ session: String) -> String? {
        (jsonObject(root + "/.scenedrop/batches/\(session).json")?["jobs"] as? [[String: Any]])?.first?["name"]
            as? String
    }

    func ledger(_ root: String) -> [[String: Any]] { ledgerLines(root) }

    func sceneMetadata(_ session: PublishedSession, _ scene: Int) -> [String: Any] {
        jsonObject(session.path + "/scene-00\(scene).json") ?? [:]
    }

    @Test func aBatchSessionIsPublishedAtTheBatchPriceAndAFailedKeyGoesInteractive() async throws {
        // The job runs until the test has looked at it, then ends at the next poll.
        let emulator = emulator(BatchBehaviour(ending: .never, failingKeys: ["scene-3"]))
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let daemon = try await WatchDaemon.start(
                    root,
                    ["--batch-poll", "100ms"],
                    environment: environment(server)
                )
                try dropFile(root + "/inbox/ep1.json", batchManifest("ep1"))
                try await daemon.waitUntil("the job recorded") { recordedJob(root, "ep1") != nil }
                let job = try #require(recordedJob(root, "ep1"))
                let status = try await SceneDropProcess.run(["status", "--root", root], logDirectory: root)
                #expect(status.stdout.contains("batch job   \(job) for ep1: BATCH_STATE_"), "\(status.stdout)")
                let json = try await SceneDropProcess.run(["status", "--root", root, "--json"], logDirectory: root)
                let jobs =
                    (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["batch_jobs"]
                    as? [[String: Any]]
                #expect(
                    jobs?.first?["session"] as? String == "ep1" && jobs?.first?["job"] as? String == job
                        && jobs?.first?["scenes"] as? Int == 3,
                    "\(json.stdout)"
                )
                #expect(try publishedSessions(root + "/outbox").isEmpty, "the session waits for its job")
                emulator.setBatchBehaviour(
                    BatchBehaviour(pendingFor: .zero, runningFor: .zero, failingKeys: ["scene-3"])
                )

                let session = try #require(try await waitForSessions(root + "/outbox", count: 1).first)
                let entries = session.sceneEntries
                #expect(entries.map { $0["status"] as? String } == ["generated", "generated", "fallback"])
                #expect(
                    entries.map { $0["cost_usd"] as? Double } == [0.0168, 0.0168, 0.0336],
                    "two at the batch price, one interactive"
                )
                let third = sceneMetadata(session, 3)
                let fallback = try #require(third["fallback"] as? [String: Any])
                #expect(fallback["reason"] as? String == "batch_failed" && third["provider"] as? String == "gemini")
                #expect(
                    ((fallback["tried"] as? [[String: Any]])?.first?["error"] as? String)?.contains("INTERNAL") == true,
                    "\(fallback)"
                )
                #expect(
                    emulator.batchJobs.count == 1 && server.generateRequests.count == 1,
                    "one job, one interactive request"
                )
                let lines = ledger(root)
                #expect(
                    lines.count == 3 && lines.filter { $0["priority"] as? String == "batch" }.count == 2,
                    "\(lines)"
                )
                // The record goes right after the publish (kept until then: a crash in between polls again).
                try await daemon.waitUntil("the record removed after the publish") {
                    !FileSystem.exists(root + "/.scenedrop/batches/ep1.json")
                }
                #expect(daemon.process.logRecords(.batchJobSubmitted).count == 1)
                #expect(!daemon.process.logRecords(.batchJobStateChanged).isEmpty)
                #expect(try await daemon.stop() == 0)
            }
        }
    }

    @Test func killNineWhileAJobIsPendingThenRestartPollsTheSameJob() async throws {
        let emulator = emulator(BatchBehaviour(ending: .never))
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let first = try await WatchDaemon.start(
                    root,
                    ["--batch-poll", "100ms"],
                    name: "first",
                    environment: environment(server)
                )
                try dropFile(root + "/inbox/k.json", batchManifest("k"))
                try await first.waitUntil("the job recorded") { recordedJob(root, "k") != nil }
                first.process.signal(SIGKILL)
                _ = try await first.process.waitForExit(timeout: .seconds(30))
                emulator.setBatchBehaviour(BatchBehaviour(pendingFor: .zero, runningFor: .zero))

                let second = try await WatchDaemon.start(
                    root,
                    ["--batch-poll", "100ms"],
                    name: "second",
                    environment: environment(server)
                )
                let session = try #require(try await waitForSessions(root + "/outbox", count: 1).first)
                #expect(
                    session.sceneEntries.allSatisfy {
                        $0["status"] as? String == "generated" && $0["cost_usd"] as? Double == 0.0168
                    }
                )
                #expect(emulator.batchJobs.count == 1, "never submitted twice")
                #expect(server.generateRequests.isEmpty)
                #expect(
                    second.process.logRecords(.batchSessionResumed).count == 1
                )
                try await second.waitUntil("the publish logged") { !second.publishes.isEmpty }
                #expect(second.publishes == ["k"] && first.publishes.isEmpty)
                #expect(ledger(root).count == 3)
                #expect(try await second.stop() == 0)
                #expect(claimsInWork(root) == 0 && listNames(root + "/inbox").isEmpty)
            }
        }
    }

    /// Graceful shutdown does not wait out a batch (it may take a day): the manifest goes back to the
    /// inbox at once and its record stays, for the next start to poll.
    @Test func sigtermWhileAJobIsPendingHandsTheManifestBackAtOnce() async throws {
        let emulator = emulator(BatchBehaviour(ending: .never))
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let daemon = try await WatchDaemon.start(
                    root,
                    ["--batch-poll", "100ms", "--shutdown-grace", "600s"],
                    environment: environment(server)
                )
                try dropFile(root + "/inbox/s.json", batchManifest("s"))
                try await daemon.waitUntil("the job recorded") { recordedJob(root, "s") != nil }
                daemon.process.signal(SIGTERM)
                // Far inside the 600 s grace: the wait for the job ends with the shutdown, not the grace.
                #expect(try await daemon.process.waitForExit(timeout: .seconds(60)) == 0)
                #expect(listNames(root + "/inbox") == ["s.json"] && claimsInWork(root) == 0)
                #expect(recordedJob(root, "s") != nil, "the record stays for the next start")
                #expect(emulator.batchCancels.isEmpty, "the job goes on at the API")
            }
        }
    }

    @Test func aReDropCancelsTheWaitingJobAndReplacesIt() async throws {
        let emulator = emulator(BatchBehaviour(ending: .never))
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let daemon = try await WatchDaemon.start(
                    root,
                    ["--batch-poll", "100ms"],
                    environment: environment(server)
                )
                try dropFile(root + "/inbox/r.json", batchManifest("r", prompt: "a castle"))
                try await daemon.waitUntil("the first job recorded") { recordedJob(root, "r") != nil }
                let firstJob = try #require(recordedJob(root, "r"))
                // The same file name again, with other content, while the first waits for its job.
                try dropFile(root + "/inbox/r.json", batchManifest("r", prompt: "a harbour"))
                try await daemon.waitUntil("the first job cancelled") { emulator.batchCancels.contains(firstJob) }
                emulator.setBatchBehaviour(BatchBehaviour(pendingFor: .zero, runningFor: .zero))
                let session = try #require(try await waitForSessions(root + "/outbox", count: 1).first)
                try await daemon.waitForLog(.batchDropReplaced, count: 1)
                #expect(
                    String(decoding: readFile(session.path + "/manifest.json") ?? [], as: UTF8.self).contains(
                        "a harbour"
                    )
                )
                #expect(
                    emulator.batchJobs.count == 2 && emulator.batchJobs[1].prompts.allSatisfy { $0.contains("harbour") }
                )
                // The log line follows the publish rename.
                try await daemon.waitUntil("the publish logged") { !daemon.publishes.isEmpty }
                #expect(daemon.publishes == ["r"], "published once, from the new drop")
                #expect(try await daemon.stop() == 0)
                #expect(claimsInWork(root) == 0 && listNames(root + "/inbox").isEmpty)
            }
        }
    }

    /// `process --priority batch`: a job that fails and a job past `--batch-deadline` both fall back
    /// to interactive requests, each scene saying why.
    @Test func failedAndOverdueJobsFallBackWithTheirReasons() async throws {
        let emulator = emulator(
            BatchBehaviour(pendingFor: .zero, runningFor: .seconds(600), ending: .failed("the batch backend failed"))
        )
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try writeFile(root + "/inbox/f.json", manifestJSON(session: "f", scenes: 2))
                // The fake's jobs run 10 minutes and then fail; a 2 s deadline ends the wait first.
                let overdue = try await SceneDropProcess.run(
                    [
                        "process", "--root", root, "--settle", "0s", "--priority", "batch", "--batch-poll", "100ms",
                        "--batch-deadline", "2s",
                    ],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(overdue.status == 0, "\(overdue.stderr.suffix(2000))")
                emulator.setBatchBehaviour(
                    BatchBehaviour(
                        pendingFor: .zero,
                        runningFor: .milliseconds(200),
                        ending: .failed("the batch backend failed")
                    )
                )
                try writeFile(root + "/inbox/g.json", manifestJSON(session: "g", scenes: 2, prompt: "Another scene"))
                let failed = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s", "--priority", "batch", "--batch-poll", "100ms"],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(failed.status == 0, "\(failed.stderr.suffix(2000))")

                let sessions = Dictionary(
                    uniqueKeysWithValues: try publishedSessions(root + "/outbox").map { ($0.name, $0) }
                )
                for (name, reason, words) in [
                    ("f", "batch_expired", "--batch-deadline"), ("g", "batch_failed", "the batch backend failed"),
                ] {
                    let session = try #require(sessions[name])
                    for scene in 1...2 {
                        let metadata = sceneMetadata(session, scene)
                        let fallback = metadata["fallback"] as? [String: Any]
                        #expect(
                            fallback?["reason"] as? String == reason && metadata["provider"] as? String == "gemini",
                            "\(name) \(scene): \(metadata)"
                        )
                        #expect(
                            ((fallback?["tried"] as? [[String: Any]])?.first?["error"] as? String)?.contains(words)
                                == true,
                            "\(String(describing: fallback))"
                        )
                        #expect(metadata["cost_usd"] as? Double == 0.0336, "the interactive price")
                    }
                }
                #expect(
                    emulator.batchCancels.count == 1,
                    "the overdue job is cancelled, the failed one needs no cancel"
                )
                #expect(emulator.batchJobs.count == 2 && server.generateRequests.count == 4)
                #expect(
                    listNames(root + "/.scenedrop/batches").filter { $0.hasSuffix(".json") }.isEmpty,
                    "no record left"
                )
            }
        }
    }
}
