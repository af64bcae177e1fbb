import FakeGemini
import Foundation
import Imaging
import SystemSupport
import TestSupport
import Testing

/// Contract §11 through the built binary: the OpenAI Images API (a fake over loopback, answering as the
/// documented one does), and chains across vendors.
@Suite struct OpenAIEndToEndTests {
    static var jpeg: [UInt8] { GeminiEndToEndTests.jpeg }

    func environment(openAI: FakeGeminiServer, gemini: FakeGeminiServer? = nil) -> [String: String] {
        var environment = [
            "SCENEDROP_OPENAI_BASE_URL": openAI.baseURL, "OPENAI_API_KEY": OpenAIEmulator.validKey,
        ]
        if let gemini {
            environment["SCENEDROP_GEMINI_BASE_URL"] = gemini.baseURL
            environment["GEMINI_API_KEY"] = GeminiEmulator.validKey
        }
        return environment
    }

    @Test func aSessionFromOpenAI() async throws {
        let emulator = OpenAIEmulator { _ in OpenAIEmulator.image(Self.jpeg, input: 30, output: 400) }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try writeFile(
                    root + "/inbox/oa.json",
                    manifestJSON(session: "oa", scenes: 2, width: 1920, height: 1080)
                )
                let result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s", "--providers", "openai"],
                    logDirectory: root,
                    environment: environment(openAI: server)
                )
                #expect(result.status == 0, "\(result.stderr)")
                let meta = try #require(jsonObject(root + "/outbox/oa/scene-001.json"))
                #expect(meta["provider"] as? String == "openai")
                #expect(meta["model"] as? String == "gpt-image-1-mini", "the draft default")
                #expect(meta["image_size"] as? String == "1536x1024", "the size nearest 16:9")
                #expect(meta["fallback"] is NSNull)
                // $2 input and $8 image output per million for the mini model.
                #expect(abs((meta["cost_usd"] as? Double ?? 0) - (30.0 * 2 + 400.0 * 8) / 1_000_000) < 1e-12)
                let image = try #require(readFile(root + "/outbox/oa/scene-001.png"))
                #expect(try ImageInspector.check(image, width: 1920, height: 1080).format == .png)
                #expect(emulator.accepted.map(\.quality) == ["low", "low"])
                #expect(emulator.accepted.allSatisfy { $0.size == "1536x1024" })
            }
        }
    }

    /// Gemini's per-day quota is spent on every model: each scene moves on to OpenAI, the next link, not to
    /// the placeholder, and records what it tried.
    @Test func aGeminiPerDayQuotaMovesEverySceneToOpenAI() async throws {
        let gemini = GeminiEmulator { _ in GeminiEmulator.rateLimited(retryDelay: "3600s", perDay: true) }
        let openAI = OpenAIEmulator { _ in OpenAIEmulator.image(Self.jpeg) }
        try await withFakeGemini({ gemini.handle($0) }) { geminiServer in
            try await withFakeGemini({ openAI.handle($0) }) { openAIServer in
                try await withTemporaryDirectory { root in
                    try writeFile(root + "/inbox/quota.json", manifestJSON(session: "quota", scenes: 3))
                    let result = try await SceneDropProcess.run(
                        ["process", "--root", root, "--settle", "0s", "--providers", "gemini,openai,placeholder"],
                        logDirectory: root,
                        environment: environment(openAI: openAIServer, gemini: geminiServer)
                    )
                    #expect(result.status == 0, "\(result.stderr)")
                    for scene in 1...3 {
                        let meta = try #require(
                            jsonObject(root + "/outbox/quota/" + String(format: "scene-%03d.json", scene))
                        )
                        #expect(meta["provider"] as? String == "openai", "scene \(scene): \(meta)")
                        let fallback = try #require(meta["fallback"] as? [String: Any])
                        #expect(fallback["reason"] as? String == "quota_exhausted")
                        let tried = (fallback["tried"] as? [[String: Any]] ?? []).compactMap { entry in
                            (entry["provider"] as? String).map { "\($0):\(entry["model"] as? String ?? "-")" }
                        }
                        #expect(
                            tried == ["gemini:gemini-3.1-flash-lite-image", "gemini:gemini-nano-banana-2.1"],
                            "\(tried)"
                        )
                    }
                    let session = try #require(jsonObject(root + "/outbox/quota/session.json"))
                    #expect((session["totals"] as? [String: Any])?["fallbacks"] as? Int == 3)
                    #expect(openAI.accepted.count == 3)
                    // A per-day quota is never retried: at most one request per scene and model (the three
                    // scenes run at once, so each may ask before the first answer retires the model).
                    #expect(gemini.calls(to: "gemini-3.1-flash-lite-image") <= 3)
                    #expect(gemini.calls(to: "gemini-nano-banana-2.1") <= 3)
                }
            }
        }
    }

    /// The OpenAI key never reaches a log line, a file under the root, or `ps`.
    @Test func theOpenAIKeyIsNeverShown() async throws {
        let openAI = OpenAIEmulator { call in
            call.number == 1 ? OpenAIEmulator.serverError() : OpenAIEmulator.image(Self.jpeg)
        }
        try await withFakeGemini({ openAI.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try FileSystem.makeDirectories(root + "/logs")
                let daemon = try SceneDropProcess(
                    ["watch", "--root", root, "--log-format", "json", "--log-level", "debug", "--providers", "openai"],
                    logDirectory: root + "/logs",
                    environment: environment(openAI: server)
                )
                try await waitUntil("the daemon to watch") {
                    daemon.stderr.contains(DaemonLog.inboxWatchInPlace.rawValue)
                }
                let commandLine = String(decoding: readFile("/proc/\(daemon.pid)/cmdline") ?? [], as: UTF8.self)
                let environ = readFile("/proc/\(daemon.pid)/environ") ?? []
                #expect(!commandLine.contains(OpenAIEmulator.validKey), "ps shows the key")
                #expect(!environ.isEmpty)
                try writeFile(root + "/inbox/k.json", manifestJSON(session: "k", scenes: 2))
                try await waitUntil("the session") { FileSystem.exists(root + "/outbox/k/session.json") }
                daemon.signal(SIGTERM)
                #expect(try await daemon.waitForExit() == 0)
                #expect(!daemon.stderr.contains(OpenAIEmulator.validKey))
                #expect(!daemon.stdout.contains(OpenAIEmulator.validKey))
                #expect(files(containing: OpenAIEmulator.validKey, under: root).isEmpty)
            }
        }
    }
}
