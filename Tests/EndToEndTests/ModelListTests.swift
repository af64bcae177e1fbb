import FakeGemini
import Foundation
import SystemSupport
import TestSupport
import Testing

/// Contract §11, "The model table stays true": the daemon lists the models the key can use (every page)
/// and leaves out of its chains, with one warning each, any model the API does not list.
@Suite struct ModelListTests {
    @Test func aChainModelTheAPIDoesNotListGetsNoRequestAndOneWarning() async throws {
        var models = GeminiEmulator.standardModels
        models["gemini-nano-banana-2.1"] = nil  // this key cannot use 2.1
        // Lite is overloaded, so every scene would move on to 2.1.
        let emulator = GeminiEmulator(models: models) { _ in
            GeminiEmulator.error(503, "UNAVAILABLE", "The model is overloaded.")
        }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try writeFile(root + "/inbox/listed.json", manifestJSON(session: "listed", scenes: 3))
                let environment = [
                    "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                ]
                let result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s", "--retries", "0", "--log-format", "json"],
                    logDirectory: root,
                    environment: environment
                )
                #expect(result.status == 0, "\(result.stderr)")
                #expect(emulator.modelListRequests >= 3, "every page of the list was read")
                #expect(
                    server.generateRequests.filter { $0.path.contains("gemini-nano-banana-2.1") }.isEmpty,
                    "no request"
                )
                let warnings = SceneDropProcess.records(
                    in: result.stderr,
                    "model left out of the chains: the API does not list it for these credentials"
                )
                #expect(warnings.compactMap { $0["scenedrop.model"] } == ["gemini-nano-banana-2.1"], "one warning")
                for scene in 1...3 {
                    let meta = try #require(
                        jsonObject(root + "/outbox/listed/" + String(format: "scene-%03d.json", scene))
                    )
                    let tried = (meta["fallback"] as? [String: Any])?["tried"] as? [[String: Any]] ?? []
                    let skipped = tried.first { $0["model"] as? String == "gemini-nano-banana-2.1" }
                    #expect(skipped?["attempts"] as? Int == 0)
                    #expect((skipped?["error"] as? String)?.contains("does not list") == true, "\(tried)")
                }
                // `scenedrop status` shows it.
                let status = try await SceneDropProcess.run(["status", "--root", root, "--json"], logDirectory: root)
                let report = try #require(
                    try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
                )
                let out = (report["retired_models"] as? [[String: Any]] ?? []).filter {
                    $0["reason"] as? String == "not_listed"
                }
                #expect(out.compactMap { $0["model"] as? String } == ["gemini-nano-banana-2.1"])
                // `scenedrop models --check` prints the table beside the live list.
                let check = try await SceneDropProcess.run(
                    ["models", "--check"],
                    logDirectory: root,
                    environment: environment
                )
                #expect(check.status == 0, "\(check.stderr)")
                let line = check.stdout.split(separator: "\n").first { $0.hasPrefix("gemini-nano-banana-2.1 ") }
                #expect(
                    line?.contains("NOT LISTED") == true && line?.contains("yes, left out") == true,
                    "\(check.stdout)"
                )
                #expect(
                    check.stdout.split(separator: "\n").contains {
                        $0.hasPrefix("gemini-3-pro-image ") && $0.contains("listed")
                    }
                )
                #expect(
                    !check.stdout.contains(GeminiEmulator.validKey) && !check.stderr.contains(GeminiEmulator.validKey)
                )
            }
        }
    }
}
