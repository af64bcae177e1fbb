import ArgumentParser
import Foundation
import SystemSupport
import TestSupport

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenedrop-bench",
        abstract:
            "Measure SceneDrop end to end: the real daemon on temporary folders, beside inotifywait and a naive shell hot folder.",
        discussion: """
            Scenarios: B1 pickup latency (with the inotifywait floor and a naive hot folder), B2 a burst past the
            inotify queue, B3 parallel generation against a fake Gemini API with 1 s latency, B4 peak memory with
            2K images, B5 placeholder rendering throughput, B6 a per-minute quota (with the google-genai SDK peer
            when Python has it), B7 a 20-scene session with 4 references of 4096x4096 per scene (peak memory,
            library reads). S1 (not in the default run: `--only S1`) is a soak of `--soak-minutes` (10) with
            the web view under mixed load: it reports traps, RSS and descriptors at start and end, and publishes.
            Needs the release `scenedrop` binary beside this one (built first if missing; SCENEDROP_TEST_BINARY
            names another, e.g. a sanitizer build) and inotifywait (`.ci/setup test` installs it).

            Example:
              swift run -c release scenedrop-bench
              swift run -c release scenedrop-bench --only B1,B3 --json
              SCENEDROP_TEST_BINARY=.build-tsan/debug/scenedrop swift run -c release scenedrop-bench --only S1
            """
    )

    @Flag(name: .long, help: "Print the results as JSON.")
    var json = false

    @Option(name: .long, help: "Scenarios to run, comma-separated (default: all).")
    var only: String = "B1,B2,B3,B4,B5,B6,B7"

    @Option(name: .customLong("b1-count"), help: "B1 drops.")
    var b1Count = 500

    @Option(name: .customLong("b2-count"), help: "B2 manifests.")
    var b2Count = 10_000

    @Option(name: .customLong("latency-ms"), help: "The fake Gemini API's answer time in B3 and B4.")
    var latencyMS = 1000

    @Option(name: .customLong("soak-minutes"), help: "How long S1 runs.")
    var soakMinutes: Double = 10

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Tiny runs of every scenario (the test suite's check that the benchmark works); the figures mean nothing.",
            visibility: .hidden
        )
    )
    var smoke = false

    @Flag(name: .long, help: "Keep each scenario's folders and daemon logs for a look afterwards.")
    var keep = false

    @Option(
        name: .customLong("daemon-args"),
        help: ArgumentHelp(
            "Extra arguments for every `scenedrop watch`, space-separated (e.g. \"--image-format jpeg\").",
            valueName: "args"
        )
    )
    var daemonArgs: String = ""

    func run() async throws {
        Self.stopChildrenOnSignal()
        try await ensureBinary()
        BenchDaemon.extraArguments = daemonArgs.split(separator: " ").map(String.init)
        BenchDaemon.keepScratch = keep
        let wanted = Set(
            only.uppercased().split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        )
        var rows: [Measure] = []
        let latency = Duration.milliseconds(latencyMS)
        let scenarios: [(String, () async throws -> [Measure])] = [
            ("B1", { try await PickupScenario(count: b1Count, interval: .milliseconds(20)).run() }),
            ("B2", { try await BurstScenario(count: b2Count, spread: .seconds(1)).run() }),
            (
                "B3",
                {
                    try await ParallelScenario(
                        kind: .b3,
                        manifests: smoke ? 3 : 20,
                        scenesPerManifest: 5,
                        latency: latency,
                        concurrency: 16,
                        rounds: smoke ? 1 : 3
                    ).run()
                }
            ),
            (
                "B4",
                {
                    try await ParallelScenario(
                        kind: .b4,
                        manifests: smoke ? 3 : 20,
                        scenesPerManifest: 5,
                        latency: latency,
                        concurrency: 16
                    ).run()
                }
            ),
            (
                "B5",
                { try await PlaceholderScenario(manifests: smoke ? 2 : 20, scenesPerManifest: smoke ? 3 : 10).run() }
            ),
            (
                "B6",
                {
                    try await QuotaScenario(
                        manifests: smoke ? 2 : 10,
                        scenesPerManifest: smoke ? 3 : 10,
                        limit: smoke ? 4 : 10,
                        window: .seconds(smoke ? 1 : 10),
                        latency: smoke ? .milliseconds(100) : .seconds(1)
                    ).run()
                }
            ),
            (
                "B7",
                {
                    try await ReferenceScenario(
                        scenes: smoke ? 4 : 20,
                        latency: smoke ? .milliseconds(100) : latency,
                        side: smoke ? 1024 : 4096
                    ).run()
                }
            ),
            (
                "S1",
                { try await SoakScenario(duration: .milliseconds(Int((smoke ? 0.25 : soakMinutes) * 60_000))).run() }
            ),
        ]
        for (name, scenario) in scenarios where wanted.contains(name) {
            if !json { FileHandle.standardError.write(Data("running \(name)…\n".utf8)) }
            rows += try await scenario()
        }
        let machine = Self.machine()
        if json {
            struct Output: Encodable {
                var machine: String
                var date: String
                var results: [Measure]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(
                Output(machine: machine, date: WallClock.rfc3339(WallClock.now()), results: rows)
            )
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(machine), \(WallClock.rfc3339(WallClock.now()))\n")
            print("| scenario | measure | result | target | met |")
            print("|---|---|---|---|---|")
            for row in rows {
                let met = row.met.map { $0 ? "yes" : "**no**" } ?? "—"
                print("| \(row.scenario) | \(row.measure) | \(row.value) | \(row.target) | \(met) |")
            }
        }
        if rows.contains(where: { $0.met == false }) { throw ExitCode(1) }
    }

    /// SIGTERM or SIGINT (the test suite stopping a run that took too long, or Ctrl-C): the daemons,
    /// watchers and shells this run started are killed with it, never left behind.
    static func stopChildrenOnSignal() {
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                ChildProcess.killAll()
                Foundation.exit(128 + signalNumber)
            }
            source.resume()
            signalSources.append(source)
        }
    }

    nonisolated(unsafe) private static var signalSources: [any DispatchSourceSignal] = []

    /// The release daemon is measured, not the debug one: build it if this is a fresh checkout.
    func ensureBinary() async throws {
        let binary = SceneDropProcess.binary
        if FileSystem.exists(binary) { return }
        FileHandle.standardError.write(Data("building the release scenedrop binary…\n".utf8))
        let build = try ChildProcess("swift", ["build", "-c", "release", "--product", "scenedrop"])
        let status: Int32
        do {
            status = try await build.wait(timeout: .seconds(1800))
        } catch {
            await build.stop()
            throw BenchError("`swift build -c release` did not finish within 30 minutes")
        }
        // Looked up again: the search for the binary walks up while it does not exist yet.
        guard status == 0, FileSystem.exists(SceneDropProcess.binary) else {
            throw BenchError("no scenedrop binary beside scenedrop-bench: run `swift build -c release` first")
        }
    }

    static func machine() -> String {
        let cpu =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        var info = utsname()
        uname(&info)
        let kernel = withUnsafeBytes(of: &info.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let memory = Double(sysconf(Int32(_SC_PHYS_PAGES)) * sysconf(Int32(_SC_PAGESIZE))) / 1_073_741_824
        return
            "\(ProcessInfo.processInfo.activeProcessorCount) cores (\(cpu)), \(String(format: "%.0f", memory)) GiB, Linux \(kernel)"
    }
}
