import Foundation
import SystemSupport
import TestSupport
import Testing

/// The benchmark keeps working: a small run of each scenario, its JSON read back. Only correctness is
/// asserted here (every drop published, no fallbacks); its timings belong to a quiet machine and are
/// reported in the README, not judged under the parallel test suite.
@Suite struct BenchSmokeTests {
    @Test func aSmallBenchmarkRunReportsEveryScenario() async throws {
        let bench = FileSystem.parentPath(SceneDropProcess.binary) + "/scenedrop-bench"
        try #require(FileSystem.exists(bench), "scenedrop-bench is built beside scenedrop")
        try await withTemporaryDirectory { root in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: bench)
            process.arguments = ["--json", "--smoke", "--only", "B1,B2,B3,B4,B5", "--b1-count", "20", "--b2-count", "200", "--latency-ms", "200"]
            var environment = ProcessInfo.processInfo.environment
            environment["TMPDIR"] = root
            process.environment = environment
            let output = root + "/bench.json"
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            _ = FileManager.default.createFile(atPath: root + "/bench.err", contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/bench.err"))
            try process.run()
            try await waitUntil("the benchmark to finish", timeout: .seconds(600), interval: .milliseconds(200)) { !process.isRunning }
            let report = try #require(try JSONSerialization.jsonObject(with: Data(readFile(output) ?? [])) as? [String: Any], "\(readText(root + "/bench.err") ?? "")")
            let results = try #require(report["results"] as? [[String: Any]])
            #expect(Set(results.compactMap { $0["scenario"] as? String }) == ["B1 pickup", "B2 burst", "B3 parallel", "B4 memory", "B5 placeholder"])
            func row(_ measure: String) -> [String: Any]? { results.first { ($0["measure"] as? String)?.hasPrefix(measure) == true } }
            #expect(row("sessions published / dropped")?["met"] as? Bool == true)
            #expect(row("published exactly once")?["met"] as? Bool == true)
            #expect(row("scenes from the fake API")?["met"] as? Bool == true)
            #expect((row("SceneDrop drop → claimed p50")?["number"] as? Double ?? -1) > 0)
            #expect((results.first { $0["scenario"] as? String == "B4 memory" }?["number"] as? Double ?? -1) > 0, "peak RSS read")
            // Nothing is left behind in TMPDIR but the report.
            #expect(listNames(root).filter { $0.hasPrefix("scenedrop-bench-") }.isEmpty)
        }
    }
}
