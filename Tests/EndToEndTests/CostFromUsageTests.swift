import FakeGemini
import Foundation
import Imaging
import SystemSupport
import TestSupport
import Testing

/// Contract §11, "Cost from what the API reports" and "Deadlines": through the built binary against the
/// fake Gemini API over loopback.
@Suite struct CostFromUsageTests {
    static var jpeg: [UInt8] { GeminiEndToEndTests.jpeg }

    func environment(_ server: FakeGeminiServer) -> [String: String] {
        ["SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey]
    }

    func spentToday(_ root: String) async throws -> Double? {
        let status = try await SceneDropProcess.run(["status", "--root", root, "--json"], logDirectory: root)
        let report = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        return report?["spent_today_usd"] as? Double
    }

    /// Pro answers with 40 prompt tokens, a 1120-token image, a token of text and 748 thinking tokens: at
    /// $2, $120 and $12 per million that is $0.143468, not the flat $0.134.
    @Test func anAnswerWithThinkingTokensCostsWhatItsUsageSays() async throws {
        let emulator = GeminiEmulator { _ in
            GeminiEmulator.image(
                Self.jpeg,
                mimeType: "image/jpeg",
                usage: GeminiEmulator.usage(input: 40, image: 1120, thinking: 748)
            )
        }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try writeFile(
                    root + "/inbox/think.json",
                    """
                    {"session": "think", "quality": "production", "aspect_ratio": "1:1", "width": 1024, "height": 1024,
                     "scenes": [{"scene_number": 1, "image_create_prompt": "A lighthouse keeper at dawn"}]}
                    """
                )
                let result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s"],
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(result.status == 0, "\(result.stderr)")
                let expected: Double = (40.0 * 2 + 1120.0 * 120 + 749.0 * 12) / 1_000_000
                let meta = try #require(jsonObject(root + "/outbox/think/scene-001.json"))
                #expect(meta["model"] as? String == "gemini-3-pro-image")
                #expect(abs((meta["cost_usd"] as? Double ?? 0) - expected) < 1e-9, "\(meta["cost_usd"] ?? "none")")
                let usage = try #require(meta["usage"] as? [String: Int])
                #expect(usage["input_tokens"] == 40)
                #expect(usage["output_image_tokens"] == 1120)
                #expect(usage["thinking_tokens"] == 748)
                #expect(usage["output_text_tokens"] == 1)
                let session = try #require(jsonObject(root + "/outbox/think/session.json"))
                let total = (session["totals"] as? [String: Any])?["cost_usd"] as? Double ?? 0
                #expect(abs(total - expected) < 1e-9)
                // The ledger and the budget count what was used: the charge, then its correction.
                #expect(abs((try await spentToday(root) ?? 0) - expected) < 1e-9)
                let lines = ledgerLines(root)
                #expect(lines.count == 2 && lines.last?["adjustment"] as? Bool == true, "\(lines)")
            }
        }
    }

    /// A request that times out may still be billed (the API does not stop the work): its charge stays in
    /// the ledger, marked `possibly_billed`, and the budget counts it, so the next scene is refused.
    @Test func aTimedOutRequestIsPossiblyBilledAndCountedByTheBudget() async throws {
        let emulator = GeminiEmulator { call in
            GeminiEmulator.image(
                Self.jpeg,
                mimeType: "image/jpeg",
                delay: call.model == "gemini-3.1-flash-lite-image" ? .seconds(30) : .zero
            )
        }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                // Lite's deadline alone is 1 s (2.1 keeps its 60 s): a loaded machine cannot time 2.1 out too.
                try writeFile(
                    root + "/models.json",
                    #"{"models": {"gemini-3.1-flash-lite-image": {"timeout_seconds": {"1K": 1}}}}"#
                )
                let options = [
                    "--root", root, "--settle", "0s", "--models-file", root + "/models.json", "--retries", "0",
                    "--daily-budget-usd", "0.05",
                ]
                try writeFile(root + "/inbox/slow.json", manifestJSON(session: "slow"))
                var result = try await SceneDropProcess.run(
                    ["process"] + options,
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(result.status == 0, "\(result.stderr)")
                let first = try #require(jsonObject(root + "/outbox/slow/scene-001.json"))
                #expect(first["model"] as? String == "gemini-nano-banana-2.1", "2.1 after Lite timed out")
                #expect((first["fallback"] as? [String: Any])?["reason"] as? String == "timeout")
                let marked = ledgerLines(root).filter { $0["possibly_billed"] as? Bool == true }
                #expect(marked.map { $0["model"] as? String } == ["gemini-3.1-flash-lite-image"])
                // Lite's $0.0336 that may have been billed, and 2.1's $0.0336: past the $0.05 budget.
                #expect(abs((try await spentToday(root) ?? 0) - 0.0672) < 1e-9)
                try writeFile(root + "/inbox/next.json", manifestJSON(session: "next", prompt: "Another scene"))
                let requestsBefore = server.generateRequests.count
                result = try await SceneDropProcess.run(
                    ["process"] + options,
                    logDirectory: root,
                    environment: environment(server)
                )
                #expect(result.status == 0, "\(result.stderr)")
                let next = try #require(jsonObject(root + "/outbox/next/scene-001.json"))
                #expect(next["provider"] as? String == "placeholder")
                #expect((next["fallback"] as? [String: Any])?["reason"] as? String == "budget_exceeded")
                #expect(server.generateRequests.count == requestsBefore, "no paid request past the budget")
            }
        }
    }
}
