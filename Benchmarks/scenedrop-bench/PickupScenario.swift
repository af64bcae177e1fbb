import Foundation
import SystemSupport
import TestSupport

/// B1: one-scene manifests dropped by rename, one every `interval`: drop → claimed and drop →
/// published for SceneDrop, beside `inotifywait -m` on the same drops (the floor) and a naive shell
/// hot folder on its own folder.
struct PickupScenario {
    var count: Int
    var interval: Duration

    func run() async throws -> [Measure] {
        let base = try makeTemporaryDirectory("b1")
        defer { removeScratch(base) }

        let daemon = try await BenchDaemon(root: base + "/root", arguments: ["--providers", "placeholder"])
        let floor = try await InotifyWaitFloor(watching: daemon.inbox)
        var dropped: [String: Double] = [:]
        for index in 0..<count {
            let name = String(format: "b1-%05d.json", index)
            dropped[name] = try drop(
                manifest(session: String(format: "b1-%05d", index), scenes: 1, width: 320, height: 180),
                as: name,
                into: daemon.inbox
            )
            try await Task.sleep(for: interval)
        }
        try await waitUntil("\(count) B1 sessions", timeout: .seconds(120)) {
            daemon.count(of: "session published") >= count
        }
        await floor.stop()
        try await daemon.stop()
        let claimed = daemon.times(of: "manifest claimed", by: "scenedrop.file")
        let published = daemon.times(of: "session published", by: "scenedrop.file")
        let claim = Samples(dropped.compactMap { name, at in claimed[name].map { $0 - at } })
        let publish = Samples(dropped.compactMap { name, at in published[name].map { $0 - at } })
        let seen = Samples(dropped.compactMap { name, at in floor.times[name].map { $0 - at } })

        let naive = try await NaiveHotFolder(root: base + "/naive")
        var naiveDropped: [String: Double] = [:]
        for index in 0..<count {
            let name = String(format: "b1-%05d.json", index)
            naiveDropped[name] = try drop(
                manifest(session: String(format: "b1-%05d", index), scenes: 1, width: 320, height: 180),
                as: name,
                into: naive.inbox
            )
            try await Task.sleep(for: interval)
        }
        try await waitUntil("\(count) naive publishes", timeout: .seconds(120)) {
            naive.times("published").keys.filter { $0.hasPrefix("b1-") }.count >= count
        }
        await naive.stop()
        let naiveClaim = Samples(naiveDropped.compactMap { name, at in naive.times("claimed")[name].map { $0 - at } })
        let naivePublish = Samples(
            naiveDropped.compactMap { name, at in naive.times("published")[name].map { $0 - at } }
        )

        func row(_ measure: String, _ value: Double?, target: String, limit: Double? = nil) -> Measure {
            Measure(
                scenario: "B1 pickup",
                measure: measure,
                value: milliseconds(value),
                target: target,
                met: limit.map { limit in value.map { $0 <= limit } ?? false },
                number: value.map { $0 * 1000 },
                unit: "ms"
            )
        }
        var rows = [
            row("SceneDrop drop → claimed p50", claim.p50, target: "≤ 1 ms", limit: 0.001),
            row("SceneDrop drop → claimed p99", claim.p99, target: "≤ 10 ms", limit: 0.010),
            row("SceneDrop drop → published p50 (320×180)", publish.p50, target: "≤ 30 ms", limit: 0.030),
            row("SceneDrop drop → published p99", publish.p99, target: "report"),
            row("inotifywait -m drop → event seen p50 (floor)", seen.p50, target: "report"),
            row("inotifywait -m drop → event seen p99 (floor)", seen.p99, target: "report"),
            row("naive shell hot folder drop → moved p50", naiveClaim.p50, target: "report"),
            row("naive shell hot folder drop → published p50", naivePublish.p50, target: "report"),
            row("naive shell hot folder drop → published p99", naivePublish.p99, target: "report"),
        ]
        let ratio = claim.p50.flatMap { c in seen.p50.map { c / max($0, 1e-9) } }
        rows.append(
            Measure(
                scenario: "B1 pickup",
                measure: "SceneDrop claim p50 ÷ floor p50",
                value: ratio.map { String(format: "%.2f×", $0) } ?? "n/a",
                target: "≤ 3×",
                met: ratio.map { $0 <= 3 } ?? false,
                number: ratio,
                unit: "ratio"
            )
        )
        rows.append(
            Measure(
                scenario: "B1 pickup",
                measure: "sessions published / dropped",
                value: "\(published.count) / \(count)",
                target: "all",
                met: published.count == count,
                number: Double(published.count),
                unit: "sessions"
            )
        )
        return rows
    }
}
