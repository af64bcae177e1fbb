import FakeGemini
import Foundation
import Imaging
import Synchronization
import SystemSupport
import TestSupport
import Testing

/// The built binary against the fake Gemini API over loopback, as issue 3 asks:
/// `SCENEDROP_GEMINI_BASE_URL=http://127.0.0.1:PORT scenedrop process`.
@Suite struct GeminiEndToEndTests {
    static let jpeg = try! PlaceholderCard(
        sceneNumber: 1,
        prompt: "a real-looking image from the fake API",
        style: "photorealistic",
        width: 1376,
        height: 768,
        format: .jpeg
    ).render()

    func environment(_ server: FakeGeminiServer, key: String = GeminiEmulator.validKey) -> [String: String] {
        ["SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": key]
    }

    /// Every file below `root` and the given texts, searched for `secret`.
    func leaks(_ secret: String, under root: String, also texts: [String]) -> [String] {
        texts.enumerated().filter { $0.element.contains(secret) }.map { "output \($0.offset)" }
            + files(containing: secret, under: root)
    }

    @Test func tc1RealImageFromGemini() async throws {
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try writeFile(root + "/inbox/tc1.json", readFile(packageRoot + "/samples/tc1-cat-coffee.json") ?? [])
                let result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s"],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(result.status == 0, "\(result.stderr)")
                let image = try #require(readFile(root + "/outbox/tc1-cat-coffee/scene-001.png"))
                #expect(image.count > 10_000)
                #expect(try ImageInspector.check(image, width: 1920, height: 1080).format == .png)
                let meta = try #require(jsonObject(root + "/outbox/tc1-cat-coffee/scene-001.json"))
                #expect(meta["provider"] as? String == "gemini")
                #expect(meta["model"] as? String == "gemini-3.1-flash-lite-image")
                #expect(meta["image_size"] as? String == "1K")
                #expect(meta["cost_usd"] as? Double == 0.0336)
                #expect(meta["fallback"] is NSNull)
                // TC-4: the enhanced prompt is recorded.
                let enhanced = try #require((meta["prompt"] as? [String: Any])?["enhanced"] as? String)
                #expect(enhanced.hasPrefix("A happy cat drinking coffee"))
                #expect(enhanced.lowercased().contains("cinematic"))
                #expect(enhanced.contains("16:9"))
                let session = try #require(jsonObject(root + "/outbox/tc1-cat-coffee/session.json"))
                #expect((session["totals"] as? [String: Any])?["generated"] as? Int == 1)
                #expect((session["totals"] as? [String: Any])?["cost_usd"] as? Double == 0.0336)
                #expect(server.generateRequests.count == 1)
                // The paid call is in the ledger and in status.
                let status = try await SceneDropProcess.run(["status", "--root", root, "--json"], logDirectory: root)
                let report = try #require(
                    try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
                )
                #expect(report["spent_today_usd"] as? Double == 0.0336)
                #expect(ledgerLines(root).count == 1)
            }
        }
    }

    @Test func tc3InvalidKeyFallsBackEverywhereAndIsSentOnce() async throws {
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            let badKey = "AIzaSy-this-key-is-wrong-0042"
            try await withTemporaryDirectory { root in
                try writeFile(root + "/inbox/tc2.json", readFile(packageRoot + "/samples/tc2-five-scenes.json") ?? [])
                let result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s", "--log-level", "debug"],
                    logDirectory: root,
                    environment: environment(server, key: badKey)
                )
                #expect(result.status == 0, "\(result.stderr)")
                let session = try #require(try publishedSessions(root + "/outbox").first)
                #expect(session.sceneEntries.count == 5)
                for n in 1...5 {
                    let meta = try #require(jsonObject(session.path + "/scene-00\(n).json"))
                    #expect(meta["provider"] as? String == "placeholder")
                    #expect((meta["fallback"] as? [String: Any])?["reason"] as? String == "invalid_api_key")
                }
                #expect(server.requests.count == 1, "the bad key was sent once")
                #expect(result.stderr.contains("gemini disabled for this run"))
                #expect(leaks(badKey, under: root, also: [result.stdout, result.stderr]).isEmpty)
            }
        }
    }

    @Test func theKeyAppearsNowhereAndNotInPS() async throws {
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try FileSystem.makeDirectories(root + "/logs")
                let daemon = try SceneDropProcess(
                    ["watch", "--root", root, "--log-format", "json", "--log-level", "debug"],
                    logDirectory: root + "/logs",
                    environment: environment(server)
                )
                try await waitUntil("the daemon to watch") {
                    daemon.stderr.contains(DaemonLog.inboxWatchInPlace.rawValue)
                }
                let cmdline = readFile("/proc/\(daemon.pid)/cmdline") ?? []
                #expect(!String(decoding: cmdline, as: UTF8.self).contains(GeminiEmulator.validKey), "ps shows the key")
                try writeFile(root + "/inbox/a.json", manifestJSON(session: "a", scenes: 2))
                try await waitUntil("the session") { (try? publishedSessions(root + "/outbox").count) == 1 }
                daemon.signal(SIGTERM)
                #expect(try await daemon.waitForExit() == 0)
                #expect(leaks(GeminiEmulator.validKey, under: root, also: [daemon.stdout, daemon.stderr]).isEmpty)
                #expect(
                    server.requests.allSatisfy {
                        $0.header("x-goog-api-key") == GeminiEmulator.validKey
                            && !$0.path.contains(GeminiEmulator.validKey)
                    }
                )
            }
        }
    }

    @Test func theSameManifestTwiceMakesNoSecondRequest() async throws {
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let manifest = manifestJSON(session: "twice", scenes: 3, width: 640, height: 360)
                try writeFile(root + "/inbox/twice.json", manifest)
                let first = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s"],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(first.status == 0, "\(first.stderr)")
                #expect(server.generateRequests.count == 3)
                try writeFile(root + "/inbox/twice.json", manifest)
                let second = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s"],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(second.status == 0)
                #expect(server.generateRequests.count == 3, "the second run made no request")
                let session = try #require(jsonObject(root + "/outbox/twice/session.json"))
                let totals = try #require(session["totals"] as? [String: Any])
                #expect(totals["cached"] as? Int == 3)
                #expect(totals["cost_usd"] as? Double == 0)
                let meta = try #require(jsonObject(root + "/outbox/twice/scene-001.json"))
                #expect(meta["cache_hit"] as? Bool == true)
                #expect(meta["provider"] as? String == "gemini")

                // --no-cache asks again; cleanup --cache-older-than empties the cache.
                try writeFile(root + "/inbox/twice.json", manifest)
                _ = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s", "--no-cache"],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(server.generateRequests.count == 6)
                let cleaned = try await SceneDropProcess.run(
                    ["cleanup", "--root", root, "--cache-older-than", "0s", "--json"],
                    logDirectory: root
                )
                #expect(cleaned.status == 0)
                let removed =
                    try #require(try JSONSerialization.jsonObject(with: Data(cleaned.stdout.utf8)) as? [String: Any])[
                        "removed"
                    ] as? [[String: Any]]
                #expect(removed?.filter { $0["kind"] as? String == "cache" }.count == 3)
            }
        }
    }

    /// The API's failure answers through the binary: a model the API does not know (404), a 429 with
    /// `RetryInfo`, a model that stays unavailable (503) and a per-day quota, each with the request counts the
    /// issue demands and the contract's `fallback` in the metadata.
    @Test func apiFailuresThroughTheBinary() async throws {
        let arrivals = Mutex<[String: [ContinuousClock.Instant]]>([:])
        let emulator = GeminiEmulator { call in
            let topic = ["busy", "loaded", "quota", "calm"].first { call.prompt.hasPrefix("A \($0)") } ?? "other"
            let seen = arrivals.withLock { arrivals -> Int in
                arrivals[call.model + " " + topic, default: []].append(.now)
                return arrivals[call.model + " " + topic]!.count
            }
            switch (call.model, topic) {
            case ("gemini-3.1-flash-lite-image", "busy") where seen == 1:
                return GeminiEmulator.rateLimited(retryDelay: "1.5s")
            case ("gemini-3.1-flash-lite-image", "loaded"): return GeminiEmulator.unavailable()
            case ("gemini-3.1-flash-lite-image", "quota"):
                return GeminiEmulator.rateLimited(retryDelay: "30s", perDay: true)
            default: return GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg")
            }
        }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            func scene(_ path: String, _ number: Int) throws -> [String: Any] {
                try #require(jsonObject(path + String(format: "/scene-%03d.json", number)))
            }
            try await withTemporaryDirectory { root in
                // 1. A manifest naming a model the API does not have: the key probe's 404 retires it before any
                //    generateContent request, and the default chain serves.
                try writeFile(
                    root + "/inbox/unknown-model.json",
                    """
                    {"session": "unknown-model", "quality": "draft", "model": "gemini-9-imaginary-image",
                     "scenes": [{"scene_number": 1, "image_create_prompt": "A calm lake"},
                                {"scene_number": 2, "image_create_prompt": "A calm field"}]}
                    """
                )
                var result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s"],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(result.status == 0, "\(result.stderr)")
                #expect(
                    server.requests.filter { $0.path.contains("gemini-9-imaginary-image") }.map(\.method) == ["GET"]
                )
                for number in [1, 2] {
                    let meta = try scene(root + "/outbox/unknown-model", number)
                    #expect(meta["model"] as? String == "gemini-3.1-flash-lite-image")
                    let fallback = try #require(meta["fallback"] as? [String: Any])
                    #expect(fallback["reason"] as? String == "model_not_found")
                    #expect(
                        (fallback["tried"] as? [[String: Any]])?.first?["model"] as? String
                            == "gemini-9-imaginary-image"
                    )
                }

                // 2. 429 with RetryInfo (retried once, not before the delay), 503 always (1 + 2 retries, then the next
                //    model) and a per-day quota (no retry; the model is retired for the day).
                try writeFile(
                    root + "/inbox/flaky.json",
                    """
                    {"session": "flaky", "quality": "draft",
                     "scenes": [{"scene_number": 1, "image_create_prompt": "A busy street"},
                                {"scene_number": 2, "image_create_prompt": "A loaded server room"}]}
                    """
                )
                result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s"],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(result.status == 0, "\(result.stderr)")
                let times = arrivals.withLock { $0 }
                let busy = times["gemini-3.1-flash-lite-image busy"] ?? []
                #expect(busy.count == 2)
                if busy.count == 2 {
                    #expect(busy[1] - busy[0] >= .milliseconds(1500), "retried after \(busy[1] - busy[0])")
                }
                let busyMeta = try scene(root + "/outbox/flaky", 1)
                #expect(busyMeta["model"] as? String == "gemini-3.1-flash-lite-image")
                #expect(busyMeta["attempts"] as? Int == 2)
                #expect(busyMeta["fallback"] is NSNull)
                #expect(times["gemini-3.1-flash-lite-image loaded"]?.count == 3)
                #expect(times["gemini-nano-banana-2.1 loaded"]?.count == 1)
                let overloaded = try #require(try scene(root + "/outbox/flaky", 2)["fallback"] as? [String: Any])
                #expect(overloaded["reason"] as? String == "server_error")
                let tried = try #require((overloaded["tried"] as? [[String: Any]])?.first)
                #expect(tried["attempts"] as? Int == 3)
                #expect((tried["error"] as? String)?.contains("503") == true, "\(tried)")

                try writeFile(
                    root + "/inbox/daily.json",
                    """
                    {"session": "daily", "quality": "draft", "scenes": [{"scene_number": 1, "image_create_prompt": "A quota meter"}]}
                    """
                )
                result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s"],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(result.status == 0, "\(result.stderr)")
                #expect(arrivals.withLock { $0["gemini-3.1-flash-lite-image quota"]?.count } == 1)
                let daily = try scene(root + "/outbox/daily", 1)
                #expect(daily["model"] as? String == "gemini-nano-banana-2.1")
                #expect((daily["fallback"] as? [String: Any])?["reason"] as? String == "quota_exhausted")
            }
        }
    }

    @Test func aModelsFileChangesPricesAndChains() async throws {
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try writeFile(
                    root + "/models.json",
                    """
                    {"models": {"gemini-3.1-flash-image": {"price_per_image": {"1K": 0.07}}},
                     "chains": {"draft": ["gemini-3.1-flash-image"]}}
                    """
                )
                // A broken table stops the command before anything is claimed.
                try writeFile(
                    root + "/broken.json",
                    "{\"models\": {\"gemini-3.1-flash-image\": {\"price_per_image\": {\"1K\": \"free\"}}}}"
                )
                try writeFile(root + "/inbox/tc1.json", readFile(packageRoot + "/samples/tc1-cat-coffee.json") ?? [])
                let refused = try await SceneDropProcess.run(
                    ["process", "--root", root, "--models-file", root + "/broken.json"],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(refused.status == 64)
                #expect(
                    refused.stderr.contains("line 1, column 66 (models.gemini-3.1-flash-image.price_per_image.1K)"),
                    "\(refused.stderr)"
                )
                #expect(listNames(root + "/inbox") == ["tc1.json"])
                #expect(server.requests.isEmpty)

                let result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s", "--models-file", root + "/models.json"],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(result.status == 0, "\(result.stderr)")
                let meta = try #require(jsonObject(root + "/outbox/tc1-cat-coffee/scene-001.json"))
                #expect(meta["model"] as? String == "gemini-3.1-flash-image")
                #expect(meta["cost_usd"] as? Double == 0.07)
                #expect(emulator.calls(to: "gemini-3.1-flash-lite-image") == 0)

                let shown = try await SceneDropProcess.run(
                    ["models", "--json", "--models-file", root + "/models.json"],
                    logDirectory: root
                )
                let table = try #require(
                    try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
                )
                #expect((table["chains"] as? [String: Any])?["draft"] as? [String] == ["gemini-3.1-flash-image"])
                let flash = (table["models"] as? [String: Any])?["gemini-3.1-flash-image"] as? [String: Any]
                #expect((flash?["price_per_image"] as? [String: Any])?["1K"] as? Double == 0.07)
                #expect((flash?["price_per_image"] as? [String: Any])?["2K"] as? Double == 0.101)
                #expect(flash?["deprecated"] as? String == "2026-10-06")
                // Contract §11: the fields `models --json` gives per model, and the default production chain.
                #expect(
                    (table["chains"] as? [String: Any])?["production"] as? [String] == [
                        "gemini-3-pro-image", "gemini-nano-banana-2.1",
                    ]
                )
                let banana = try #require(
                    (table["models"] as? [String: Any])?["gemini-nano-banana-2.1"] as? [String: Any]
                )
                #expect(banana["image_sizes"] as? [String] == ["1K", "2K", "4K"])
                #expect(banana["deprecated"] is NSNull)
                #expect(
                    banana["price_per_million_tokens"] as? [String: Double] == [
                        "image_output": 30, "text_output": 7.5, "input": 1.5,
                    ]
                )
                #expect(
                    banana["max_reference_images"] as? [String: Int] == ["total": 14, "characters": 4, "objects": 10]
                )
                #expect((banana["timeout_seconds"] as? [String: Double])?["4K"] == 180)
                #expect((banana["batch_price_per_image"] as? [String: Double])?["1K"] == 0.0168)
                let lite = (table["models"] as? [String: Any])?["gemini-3.1-flash-lite-image"] as? [String: Any]
                #expect(lite?["image_sizes"] as? [String] == ["1K"])
            }
        }
    }

    @Test func tc2FiveScenesAtOneSecondLatencyRunInParallel() async throws {
        // Each answer takes 1 s and is held until all five requests have arrived: a daemon that sends them one at
        // a time stalls for 30 s per scene and never reaches five in flight, whatever the machine's load.
        var answer = GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg", delay: .seconds(1))
        answer.holdUntilGenerateRequests = 5
        let emulator = GeminiEmulator { [answer] _ in answer }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try writeFile(root + "/inbox/tc2.json", readFile(packageRoot + "/samples/tc2-five-scenes.json") ?? [])
                let started = ContinuousClock.now
                let result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s"],
                    logDirectory: root,
                    environment: environment(server)
                )
                let elapsed = ContinuousClock.now - started
                #expect(result.status == 0, "\(result.stderr)")
                let session = try #require(try publishedSessions(root + "/outbox").first)
                #expect(session.sceneEntries.count == 5)
                #expect(session.sceneEntries.allSatisfy { $0["status"] as? String == "generated" })
                #expect(server.generateRequests.count == 5)
                #expect(server.peakConcurrency == 5, "peak concurrency \(server.peakConcurrency)")
                // The wall-clock figure is reported, not asserted: under the parallel suite it measures the machine's
                // load. `scenedrop-bench` (B3) measures it on a quiet machine.
                print("TC-2: five scenes at 1 s latency took \(elapsed) (process start to exit)")
            }
        }
    }

    /// No network (here: nothing listens at the API's address): one log line names the cause, every
    /// scene says `network_error`, and the failure is found once, not by every scene's own retries.
    @Test func noNetworkIsFoundOnceAndNamed() async throws {
        let gone = try await FakeGeminiServer.start { _ in GeminiEmulator.image(Self.jpeg) }
        let closed = gone.baseURL
        await gone.shutdown()
        try await withTemporaryDirectory { root in
            try writeFile(root + "/inbox/tc2.json", readFile(packageRoot + "/samples/tc2-five-scenes.json") ?? [])
            let started = ContinuousClock.now
            let result = try await SceneDropProcess.run(
                ["process", "--root", root, "--settle", "0s", "--log-format", "json"],
                logDirectory: root,
                environment: ["SCENEDROP_GEMINI_BASE_URL": closed, "GEMINI_API_KEY": GeminiEmulator.validKey]
            )
            let elapsed = ContinuousClock.now - started
            #expect(result.status == 0, "\(result.stderr)")
            let session = try #require(try publishedSessions(root + "/outbox").first)
            #expect(session.sceneEntries.count == 5)
            var attempts = 0
            for entry in session.sceneEntries {
                let meta = try #require(jsonObject(session.path + "/" + (entry["metadata"] as? String ?? "")))
                #expect(meta["provider"] as? String == "placeholder")
                let fallback = try #require(meta["fallback"] as? [String: Any])
                #expect(fallback["reason"] as? String == "network_error")
                let tried = try #require(fallback["tried"] as? [[String: Any]])
                #expect(tried.count == 1, "one model, not the whole chain: \(tried)")
                #expect((tried.first?["error"] as? String)?.contains("connection refused") == true, "\(tried)")
                attempts += tried.compactMap { $0["attempts"] as? Int }.reduce(0, +)
            }
            #expect(attempts == 3, "one key probe and its two retries for the whole run")
            let outage = SceneDropProcess.records(
                in: result.stderr,
                "gemini API unreachable; scenes fall back until it answers again"
            )
            #expect(outage.count == 1)
            #expect(outage.first?["error.type"] == "network_error")
            #expect(outage.first?["error.message"]?.contains("connection refused") == true, "\(outage)")
            print("no network: five scenes fell back in \(elapsed) (process start to exit)")
        }
    }
}
