import Foundation
import SystemSupport
import TestSupport

/// B2: `count` one-scene manifests written straight into the inbox (create, write, close: three
/// events each) in about `spread`, while the daemon watches: far past the kernel's default queue of
/// 16,384 events. Every one must be published exactly once; the rate is first drop → last publish.
struct BurstScenario {
    var count: Int
    var spread: Duration

    func run() async throws -> [Measure] {
        let base = try makeTemporaryDirectory("b2")
        defer { removeScratch(base) }
        // A 128×72 placeholder: the provider costs next to nothing ("instant").
        let daemon = try await BenchDaemon(root: base + "/root", arguments: ["--providers", "placeholder"])
        let clock = ContinuousClock()
        let start = clock.now
        let first = WallClock.now()
        let perBatch = max(1, count / 50)
        for index in 0..<count {
            let name = String(format: "b2-%05d.json", index)
            try FileSystem.createFile(
                daemon.inbox + "/" + name,
                bytes: manifest(session: String(format: "b2-%05d", index), scenes: 1, width: 128, height: 72),
                sync: false
            )
            // Fifty even batches spread the writes over about `spread`.
            if index % perBatch == perBatch - 1 {
                let due = start + spread * (Double(index + 1) / Double(count))
                if due > clock.now { try await Task.sleep(until: due) }
            }
        }
        let written = clock.now - start
        try await waitUntil("\(count) B2 sessions", timeout: .seconds(900), interval: .milliseconds(200)) {
            (try? FileSystem.list(daemon.outbox).filter { !$0.name.hasPrefix(".") }.count) ?? 0 >= count
        }
        try await daemon.stop()
        let published = daemon.records("session published")
        let last = published.compactMap { $0["time"].flatMap(parseTime) }.max() ?? first
        let distinct = Set(published.compactMap { $0["scenedrop.session"] })
        let folders = (try? FileSystem.list(daemon.outbox).filter { !$0.name.hasPrefix(".") }.count) ?? 0
        let rate = Double(count) / max(last - first, 1e-9)
        let stopped = daemon.stoppedRecord ?? [:]
        let exactlyOnce = published.count == count && distinct.count == count && folders == count
        return [
            Measure(
                scenario: "B2 burst",
                measure: "manifests written",
                value: "\(count) in \(String(format: "%.2f", written.seconds)) s",
                target: "about 1 s",
                met: nil,
                number: written.seconds,
                unit: "s"
            ),
            Measure(
                scenario: "B2 burst",
                measure: "published exactly once (publish records / distinct / folders)",
                value: "\(published.count) / \(distinct.count) / \(folders)",
                target: "all \(count)",
                met: exactlyOnce,
                number: Double(published.count),
                unit: "sessions"
            ),
            Measure(
                scenario: "B2 burst",
                measure: "throughput, first drop → last publish",
                value: String(format: "%.0f manifests/s", rate),
                target: "≥ 500/s",
                met: rate >= 500,
                number: rate,
                unit: "manifests/s"
            ),
            Measure(
                scenario: "B2 burst",
                measure: "inotify queue overflows / rescans",
                value: "\(stopped["scenedrop.overflows_total"] ?? "?") / \(stopped["scenedrop.rescans_total"] ?? "?")",
                target: "report",
                met: nil,
                number: stopped["scenedrop.overflows_total"].flatMap(Double.init),
                unit: "overflows"
            ),
        ]
    }
}
