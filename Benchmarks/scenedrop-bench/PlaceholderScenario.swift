import Foundation
import SystemSupport
import TestSupport

/// B5: the built-in placeholder renderer at 1920×1080 PNG, CPU-bound: scenes per second, and per
/// CPU-second the daemon used (per core).
struct PlaceholderScenario {
    var manifests: Int
    var scenesPerManifest: Int

    func run() async throws -> [Measure] {
        let base = try makeTemporaryDirectory("b5")
        defer { removeScratch(base) }
        let daemon = try await BenchDaemon(root: base + "/root", arguments: ["--providers", "placeholder"])
        let cpuBefore = daemon.cpuSeconds ?? 0
        var dropped: [String: Double] = [:]
        for index in 0..<manifests {
            let name = String(format: "b5-%03d.json", index)
            dropped[name] = try drop(
                manifest(
                    session: String(format: "b5-%03d", index),
                    scenes: scenesPerManifest,
                    width: 1920,
                    height: 1080
                ),
                as: name,
                into: daemon.inbox
            )
        }
        try await waitUntil("\(manifests) B5 sessions", timeout: .seconds(600), interval: .milliseconds(50)) {
            let published = daemon.times(of: "session published", by: "scenedrop.file")
            return dropped.keys.allSatisfy { published[$0] != nil }
        }
        let cpu = (daemon.cpuSeconds ?? 0) - cpuBefore
        let published = daemon.times(of: "session published", by: "scenedrop.file")
        let elapsed = (published.values.max() ?? 0) - (dropped.values.min() ?? 0)
        try await daemon.stop()
        let scenes = Double(manifests * scenesPerManifest)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return [
            Measure(
                scenario: "B5 placeholder",
                measure: "\(Int(scenes)) scenes, 1920×1080 PNG: throughput",
                value: String(format: "%.1f scenes/s", scenes / elapsed),
                target: "report (\(cores) cores)",
                met: nil,
                number: scenes / elapsed,
                unit: "scenes/s"
            ),
            Measure(
                scenario: "B5 placeholder",
                measure: "per core (scenes per CPU-second used)",
                value: String(format: "%.1f scenes/s", scenes / max(cpu, 1e-9)),
                target: "report",
                met: nil,
                number: scenes / max(cpu, 1e-9),
                unit: "scenes/s/core"
            ),
            Measure(
                scenario: "B5 placeholder",
                measure: "CPU used ÷ wall time",
                value: String(format: "%.2f cores busy", cpu / elapsed),
                target: "report",
                met: nil,
                number: cpu / elapsed,
                unit: "cores"
            ),
        ]
    }
}
