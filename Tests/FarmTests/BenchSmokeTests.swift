import Foundation
import SystemSupport
import TestSupport
import Testing

/// The benchmark keeps working: a small run of each scenario, its JSON read back. Only correctness is
/// asserted here (every drop published, no fallbacks); its timings belong to a quiet machine and are
/// reported in the README, not judged under the parallel test suite.
@Suite struct BenchSmokeTests {
    /// The benchmark binary, built beside scenedrop.
    static func benchPath() throws -> String {
        let path = FileSystem.parentPath(SceneDropProcess.binary) + "/scenedrop-bench"
        try #require(FileSystem.exists(path), "scenedrop-bench is built beside scenedrop")
        return path
    }

    /// This process's environment with the benchmark's scratch folders inside `root`.
    static func environment(scratch root: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = root
        return environment
    }

    @Test func aSmallBenchmarkRunReportsEveryScenario() async throws {
        let benchPath = try Self.benchPath()
        try await withTemporaryDirectory { root in
            let environment = Self.environment(scratch: root)
            let output = root + "/bench.json"
            let bench = try ChildProcess(
                benchPath,
                [
                    "--json", "--smoke", "--only", "B1,B2,B3,B4,B5,B6,B7", "--b1-count", "20", "--b2-count", "200",
                    "--latency-ms", "200",
                ],
                environment: environment,
                stdout: .file(output),
                stderr: .file(root + "/bench.err")
            )
            // However this test ends, the benchmark and everything it started are stopped: SIGTERM makes it
            // stop its daemons and watchers, SIGKILL to its group follows after the grace.
            do {
                try await bench.wait(timeout: .seconds(300))
            } catch {
                await bench.stop(grace: .seconds(15))
                throw error
            }
            #expect(bench.exitStatus == 0 || bench.exitStatus == 1, "\(readText(root + "/bench.err") ?? "")")
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(readFile(output) ?? [])) as? [String: Any],
                "\(readText(root + "/bench.err") ?? "")"
            )
            let results = try #require(report["results"] as? [[String: Any]])
            #expect(
                Set(results.compactMap { $0["scenario"] as? String }) == [
                    "B1 pickup", "B2 burst", "B3 parallel", "B4 memory", "B5 placeholder", "B6 quota",
                    "B7 references",
                ]
            )
            func row(_ measure: String) -> [String: Any]? {
                results.first { ($0["measure"] as? String)?.hasPrefix(measure) == true }
            }
            #expect(row("sessions published / dropped")?["met"] as? Bool == true)
            #expect(row("published exactly once")?["met"] as? Bool == true)
            #expect(row("scenes from the fake API")?["met"] as? Bool == true)
            #expect(
                row("SceneDrop: 6 scenes in 2 manifests")?["met"] as? Bool == true,
                "every image from the API under the quota"
            )
            #expect((row("SceneDrop drop → claimed p50")?["number"] as? Double ?? -1) > 0)
            #expect(row("library files read and fitted for the session")?["met"] as? Bool == true)
            #expect(row("requests, each with its 4 images")?["met"] as? Bool == true)
            #expect(
                (results.first { $0["scenario"] as? String == "B4 memory" }?["number"] as? Double ?? -1) > 0,
                "peak RSS read"
            )
            // Nothing is left behind in TMPDIR but the report.
            #expect(listNames(root).filter { $0.hasPrefix("scenedrop-bench-") }.isEmpty)
        }
    }

    /// The benchmark stopped in the middle (the test above timing out, or Ctrl-C) takes its daemon and
    /// its inotifywait with it: nothing is left running.
    @Test func aBenchmarkStoppedMidRunLeavesNothingRunning() async throws {
        let benchPath = try Self.benchPath()
        try await withTemporaryDirectory { root in
            let environment = Self.environment(scratch: root)
            // B1 with far more drops than it will get to: it is stopped while its daemon and floor watcher run.
            let bench = try ChildProcess(
                benchPath,
                ["--only", "B1", "--b1-count", "100000"],
                environment: environment,
                stdout: .null,
                stderr: .file(root + "/bench.err")
            )
            defer { bench.stopNow() }
            var started: [(pid: pid_t, name: String)] = []
            // Should this test fail, it does not leave the orphans behind either.
            defer { for process in started where isAlive(process.pid) { kill(process.pid, SIGKILL) } }
            try await waitUntil(
                "the benchmark's daemon and inotifywait to run",
                timeout: .seconds(120),
                interval: .milliseconds(100)
            ) {
                guard bench.isRunning else {
                    throw TimedOut(what: "the benchmark exited early: \(readText(root + "/bench.err") ?? "")")
                }
                started = descendants(of: bench.pid)
                return started.contains { $0.name == "scenedrop" } && started.contains { $0.name == "inotifywait" }
            }
            // Only the benchmark itself is signalled: what it started is its own to stop.
            bench.signal(SIGTERM)
            #expect(try await bench.wait(timeout: .seconds(30)) == 128 + SIGTERM)
            try await waitUntil("everything the benchmark started to be gone", timeout: .seconds(30)) {
                started.allSatisfy { !isAlive($0.pid) }
            }
        }
    }
}
