import FakeGemini
import Foundation
import Imaging
import SystemSupport
import TestSupport

/// B6: a per-minute quota as a real key has one (here `limit` requests per `window` per model),
/// `latency` per answer, `manifests` × `scenesPerManifest` scenes on one model. SceneDrop should get
/// every image from the API with few 429s, close to the ideal (windows needed × window + latency);
/// beside it, the seed's design (asyncio.gather on the google-genai SDK with its retry options)
/// against the same fake API and quota.
struct QuotaScenario {
    var manifests: Int
    var scenesPerManifest: Int
    var limit: Int
    var window: Duration
    var latency: Duration
    /// The draft plan's first model: with no fallback, every request goes to it.
    static let model = "gemini-3.1-flash-lite-image"

    var scenes: Int { manifests * scenesPerManifest }
    var ideal: Double { (Double(scenes) / Double(limit)).rounded(.up) * window.seconds + latency.seconds }
    var label: String { "B6 quota" }

    func run() async throws -> [Measure] {
        var rows = try await sceneDrop()
        rows += try await sdkPeer()
        return rows
    }

    /// A fresh fake API with a fresh quota, and a scratch folder, for one side of the comparison.
    func withQuotaServer(
        _ label: String,
        _ body: (FakeGeminiServer, WindowQuota, String) async throws -> [Measure]
    ) async throws -> [Measure] {
        let image = try PlaceholderCard(
            sceneNumber: 1,
            prompt: "quota",
            style: "photorealistic",
            width: 1376,
            height: 768,
            format: .jpeg
        ).render()
        let answer = GeminiEmulator.image(image, mimeType: "image/jpeg", delay: latency)
        let quota = WindowQuota(limit: limit, window: window)
        let emulator = GeminiEmulator { call in quota.take(call.model) ?? answer }
        return try await withFakeGemini({ emulator.handle($0) }) { server in
            let base = try makeTemporaryDirectory(label)
            defer { removeScratch(base) }
            return try await body(server, quota, base)
        }
    }

    func sceneDrop() async throws -> [Measure] {
        try await withQuotaServer("b6") { server, quota, base in
            let daemon = try await BenchDaemon(
                root: base + "/root",
                arguments: ["--concurrency", "16", "--no-cache"],
                environment: ["GEMINI_API_KEY": GeminiEmulator.validKey, "SCENEDROP_GEMINI_BASE_URL": server.baseURL]
            )
            var dropped: [String: Double] = [:]
            for index in 0..<manifests {
                let name = String(format: "quota-%03d.json", index)
                dropped[name] = try drop(
                    manifest(
                        session: String(format: "quota-%03d", index),
                        scenes: scenesPerManifest,
                        width: 1920,
                        height: 1080
                    ),
                    as: name,
                    into: daemon.inbox
                )
            }
            try await waitUntil(
                "\(manifests) sessions under the quota",
                timeout: .seconds(1200),
                interval: .milliseconds(100)
            ) {
                let published = daemon.times(of: "session published", by: "scenedrop.file")
                return dropped.keys.allSatisfy { published[$0] != nil }
            }
            let published = daemon.times(of: "session published", by: "scenedrop.file")
            let total = (dropped.keys.compactMap { published[$0] }.max() ?? 0) - (dropped.values.min() ?? 0)
            try await daemon.stop()
            let fallbacks = daemon.records("session published").compactMap {
                $0["scenedrop.fallbacks"].flatMap(Int.init)
            }.reduce(0, +)
            let refusals = quota.totalRefusals
            let fromAPI = scenes - fallbacks
            return [
                Measure(
                    scenario: label,
                    measure:
                        "SceneDrop: \(scenes) scenes in \(manifests) manifests, \(limit) per \(Int(window.seconds)) s, \(Int(latency.seconds * 1000)) ms: images from the API / placeholders",
                    value: "\(fromAPI) / \(fallbacks)",
                    target: "\(scenes) / 0",
                    met: fromAPI == scenes,
                    number: Double(fromAPI),
                    unit: "images"
                ),
                Measure(
                    scenario: label,
                    measure: "SceneDrop: 429s received",
                    value: "\(refusals)",
                    target: "≤ 12",
                    met: refusals <= 12,
                    number: Double(refusals),
                    unit: "429s"
                ),
                Measure(
                    scenario: label,
                    measure: "SceneDrop: first drop → last publish (ideal \(String(format: "%.0f", ideal)) s)",
                    value: String(format: "%.1f s (%.2f× ideal)", total, total / ideal),
                    target: String(format: "≤ %.1f s (1.1×)", 1.1 * ideal),
                    met: total <= 1.1 * ideal,
                    number: total,
                    unit: "s"
                ),
                Measure(
                    scenario: label,
                    measure: "SceneDrop: requests sent",
                    value: "\(server.generateRequests.count)",
                    target: "report",
                    met: nil,
                    number: Double(server.generateRequests.count),
                    unit: "requests"
                ),
            ]
        }
    }

    /// The same run through the seed's design, when Python has google-genai (`pip install google-genai`).
    func sdkPeer() async throws -> [Measure] {
        let name = "peer: asyncio.gather on google-genai with HttpRetryOptions()"
        guard (try? ChildProcess.run("python3", ["-c", "import google.genai"])) == 0 else {
            return [
                Measure(
                    scenario: label,
                    measure: name,
                    value: "not run: pip install google-genai",
                    target: "report",
                    met: nil
                )
            ]
        }
        return try await withQuotaServer("b6-peer") { server, quota, base in
            let script =
                FileSystem.parentPath(FileSystem.parentPath(FileSystem.parentPath(#filePath)))
                + "/Benchmarks/sdk_peer.py"
            let peer = try ChildProcess(
                "python3",
                [script, server.baseURL, GeminiEmulator.validKey, Self.model, "\(scenes)"],
                stdout: .file(base + "/peer.json"),
                stderr: .file(base + "/peer.err")
            )
            _ = try await peer.wait(timeout: .seconds(1200))
            let line = String(
                decoding: (try? FileSystem.readRegularFile(base + "/peer.json", limit: 1 << 20)) ?? [],
                as: UTF8.self
            )
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let images = object["images"] as? Int, let seconds = object["seconds"] as? Double
            else {
                let err = String(
                    decoding: (try? FileSystem.readRegularFile(base + "/peer.err", limit: 1 << 20)) ?? [],
                    as: UTF8.self
                )
                return [
                    Measure(
                        scenario: label,
                        measure: name,
                        value: "failed: \(err.suffix(200))",
                        target: "report",
                        met: nil
                    )
                ]
            }
            return [
                Measure(
                    scenario: label,
                    measure: "\(name): images / failed scenes",
                    value: "\(images) / \(scenes - images)"
                        + ((object["first_error"] as? String).map { " (first failure: \($0.prefix(160)))" } ?? ""),
                    target: "report",
                    met: nil,
                    number: Double(images),
                    unit: "images"
                ),
                Measure(
                    scenario: label,
                    measure: "\(name): 429s received",
                    value: "\(quota.totalRefusals)",
                    target: "report",
                    met: nil,
                    number: Double(quota.totalRefusals),
                    unit: "429s"
                ),
                Measure(
                    scenario: label,
                    measure: "\(name): total",
                    value: String(format: "%.1f s (%.2f× ideal)", seconds, seconds / ideal),
                    target: "report",
                    met: nil,
                    number: seconds,
                    unit: "s"
                ),
            ]
        }
    }
}
