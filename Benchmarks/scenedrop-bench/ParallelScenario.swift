import FakeGemini
import Foundation
import Imaging
import SystemSupport
import TestSupport

/// B3 and B4: manifests of five scenes against the fake Gemini API over loopback, each answer after
/// `latency`. B3 asks for 1K (1376×768 JPEGs scaled up to 1920×1080); B4 for production quality, so
/// 2K answers (2752×1536 JPEGs) are decoded, checked and scaled down: its figure is peak memory.
struct ParallelScenario {
    enum Kind { case b3, b4 }
    var kind: Kind
    var manifests: Int
    var scenesPerManifest: Int
    var latency: Duration
    var concurrency: Int
    var rounds = 1

    var label: String { kind == .b3 ? "B3 parallel" : "B4 memory" }

    /// What one run measured.
    struct Timings {
        /// One manifest alone, drop → published, three times.
        var alone: [Double] = []
        /// All manifests at once, first drop → last publish, per round.
        var totals: [Double] = []
        var cpuPerScene: [Double] = []
        var peakRSS: Int?
    }

    func run() async throws -> [Measure] {
        let (width, height) = kind == .b3 ? (1376, 768) : (2752, 1536)
        let image = try PlaceholderCard(
            sceneNumber: 1,
            prompt: "a photograph from the fake Gemini API",
            style: "photorealistic",
            width: width,
            height: height,
            format: .jpeg
        ).render()
        let answer = GeminiEmulator.image(image, mimeType: "image/jpeg", delay: latency)
        let emulator = GeminiEmulator { _ in answer }
        return try await withFakeGemini({ emulator.handle($0) }) { server in
            let base = try makeTemporaryDirectory(kind == .b3 ? "b3" : "b4")
            defer { removeScratch(base) }
            let daemon = try await BenchDaemon(
                root: base + "/root",
                arguments: ["--concurrency", "\(concurrency)", "--no-cache"],
                environment: ["GEMINI_API_KEY": GeminiEmulator.validKey, "SCENEDROP_GEMINI_BASE_URL": server.baseURL]
            )
            let timings = try await measure(daemon)
            try await daemon.stop()
            let fallbacks = daemon.records("session published").compactMap {
                $0["scenedrop.fallbacks"].flatMap(Int.init)
            }.reduce(0, +)
            return rows(timings, requests: server.generateRequests.count, fallbacks: fallbacks)
        }
    }

    func measure(_ daemon: BenchDaemon) async throws -> Timings {
        let quality = kind == .b3 ? "draft" : "production"
        var timings = Timings()
        // One manifest alone, three times: how long one five-scene session takes end to end.
        for round in 1...3 {
            let name = "single-\(round).json"
            let at = try drop(
                manifest(
                    session: "single-\(round)",
                    scenes: scenesPerManifest,
                    width: 1920,
                    height: 1080,
                    quality: quality
                ),
                as: name,
                into: daemon.inbox
            )
            try await waitUntil("single manifest \(round)", timeout: .seconds(120)) {
                daemon.times(of: "session published", by: "scenedrop.file")[name] != nil
            }
            timings.alone.append(daemon.times(of: "session published", by: "scenedrop.file")[name]! - at)
        }
        // Then all of them at once, `rounds` times (the median is reported: this machine is shared).
        for round in 1...rounds {
            let cpuBefore = daemon.cpuSeconds ?? 0
            var dropped: [String: Double] = [:]
            for index in 0..<manifests {
                let name = String(format: "batch-%d-%03d.json", round, index)
                dropped[name] = try drop(
                    manifest(
                        session: String(format: "batch-%d-%03d", round, index),
                        scenes: scenesPerManifest,
                        width: 1920,
                        height: 1080,
                        quality: quality
                    ),
                    as: name,
                    into: daemon.inbox
                )
            }
            try await waitUntil("\(manifests) sessions", timeout: .seconds(600), interval: .milliseconds(50)) {
                let published = daemon.times(of: "session published", by: "scenedrop.file")
                return dropped.keys.allSatisfy { published[$0] != nil }
            }
            let published = daemon.times(of: "session published", by: "scenedrop.file")
            timings.totals.append((dropped.keys.compactMap { published[$0] }.max() ?? 0) - (dropped.values.min() ?? 0))
            timings.cpuPerScene.append(((daemon.cpuSeconds ?? 0) - cpuBefore) / Double(manifests * scenesPerManifest))
        }
        timings.peakRSS = daemon.peakRSS
        return timings
    }

    func rows(_ timings: Timings, requests: Int, fallbacks: Int) -> [Measure] {
        let (totals, peak) = (timings.totals, timings.peakRSS)
        let total = Samples(totals).p50 ?? .infinity
        let scenes = manifests * scenesPerManifest
        let waves = (Double(scenes) / Double(concurrency)).rounded(.up)
        let ideal = waves * latency.seconds
        let single = Samples(timings.alone).p50 ?? .infinity
        var rows: [Measure] = []
        if kind == .b3 {
            let range =
                totals.count > 1
                ? String(format: " (median of %d: %.2f–%.2f)", totals.count, totals.min()!, totals.max()!) : ""
            rows.append(
                Measure(
                    scenario: label,
                    measure:
                        "\(manifests) × \(scenesPerManifest) scenes, \(Int(latency.seconds * 1000)) ms latency, --concurrency \(concurrency): total",
                    value: String(format: "%.2f s", total) + range,
                    target: String(format: "≤ %.2f s (1.15 × %.0f s)", 1.15 * ideal, ideal),
                    met: total <= 1.15 * ideal,
                    number: total,
                    unit: "s"
                )
            )
            rows.append(
                Measure(
                    scenario: label,
                    measure: "one \(scenesPerManifest)-scene manifest alone, drop → published (median of 3)",
                    value: String(format: "%.2f s", single),
                    target: "≤ 1.3 s",
                    met: single <= 1.3,
                    number: single,
                    unit: "s"
                )
            )
        } else {
            let megabytes = peak.map { Double($0) / 1_048_576 }
            rows.append(
                Measure(
                    scenario: label,
                    measure: "\(manifests) × \(scenesPerManifest) scenes, 2752×1536 JPEG → 1920×1080: daemon peak RSS",
                    value: megabytes.map { String(format: "%.0f MB", $0) } ?? "n/a",
                    target: "≤ 250 MB",
                    met: megabytes.map { $0 <= 250 } ?? false,
                    number: megabytes,
                    unit: "MB"
                )
            )
            rows.append(
                Measure(
                    scenario: label,
                    measure: "total, first drop → last publish",
                    value: String(format: "%.2f s", total),
                    target: "report",
                    met: nil,
                    number: total,
                    unit: "s"
                )
            )
        }
        let cpu = Samples(timings.cpuPerScene).p50 ?? 0
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        rows.append(
            Measure(
                scenario: label,
                measure: "daemon CPU per scene (decode, check, resize, encode, write)",
                value: String(
                    format: "%.0f ms → %.1f s of CPU on %.0f cores for %d scenes",
                    cpu * 1000,
                    cpu * Double(manifests * scenesPerManifest) / cores,
                    cores,
                    manifests * scenesPerManifest
                ),
                target: "report",
                met: nil,
                number: cpu * 1000,
                unit: "ms"
            )
        )
        rows.append(
            Measure(
                scenario: label,
                measure: "scenes from the fake API / requests / fallbacks",
                value: "\(scenes * rounds + 3 * scenesPerManifest) / \(requests) / \(fallbacks)",
                target: "no fallbacks",
                met: fallbacks == 0 && requests == scenes * rounds + 3 * scenesPerManifest,
                number: Double(fallbacks),
                unit: "fallbacks"
            )
        )
        return rows
    }
}
