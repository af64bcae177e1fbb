import Foundation
import Synchronization
import SystemSupport
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// S1: the daemon with `--http` under the mixed load that once made it trap (issue 22), for `duration`: a stream
/// of manifests (some broken, requeued from the page's API), Server-Sent-Event streams opened and closed while
/// sessions publish, bursts of streams past the connection cap, page and metrics loads, slowloris clients and
/// idle connections. It reports whether the daemon survived (a trap ends it: signal 4 or 5), its RSS and open
/// descriptors at the start and the end, and what it did. Not in the default run: `--only S1`.
struct SoakScenario {
    var duration: Duration
    /// Milliseconds between manifests.
    var manifestEvery: Duration = .seconds(1)

    final class Counters: Sendable {
        let streamsOpened = Atomic<Int>(0)
        let streamsRefused = Atomic<Int>(0)
        let pageLoads = Atomic<Int>(0)
        let requestFailures = Atomic<Int>(0)
        let requeues = Atomic<Int>(0)
        let slowClients = Atomic<Int>(0)
        let manifests = Atomic<Int>(0)
        /// The daemon's RSS at the end of each minute.
        let perMinute = Mutex<[Int]>([])
    }

    struct Sample {
        var second: Double
        var rss: Int
        var descriptors: Int
    }

    func run() async throws -> [Measure] {
        let base = try makeTemporaryDirectory("s1")
        defer { removeScratch(base) }
        let daemon = try await BenchDaemon(
            root: base + "/root",
            arguments: ["--http", "127.0.0.1:0", "--providers", "placeholder"]
        )
        guard let url = daemon.records("web view listening").first?["scenedrop.url"],
            let port = Int(url.split(separator: ":").last?.filter(\.isNumber) ?? "")
        else { throw BenchError("the web view did not say where it listens") }
        let pid = daemon.process.pid
        let counters = Counters()
        let started = ContinuousClock.now
        let end = started + duration
        var samples = [Sample(second: 0, rss: Self.rss(pid) ?? 0, descriptors: Self.descriptors(pid) ?? 0)]
        let (inbox, quarantine, process) = (daemon.inbox, daemon.root + "/quarantine", daemon.process)

        try await withThrowingTaskGroup(of: Void.self) { group in
            // Manifests: one a second, every tenth broken (quarantine, then requeued below).
            group.addTask {
                var index = 0
                while ContinuousClock.now < end {
                    index += 1
                    let name = String(format: "s1-%05d.json", index)
                    let bytes =
                        index % 10 == 0
                        ? Array("{\"session\": \"broken-\(index)\", \"scenes\": [".utf8)
                        : manifest(session: String(format: "s1-%05d", index), scenes: 2, width: 640, height: 360)
                    _ = try? drop(bytes, as: name, into: inbox)
                    counters.manifests.add(1, ordering: .relaxed)
                    try await Task.sleep(for: manifestEvery)
                }
            }
            // Event streams: 40 at a time, each held 0.2–3 s, opened and closed while sessions publish.
            for lane in 0..<40 {
                group.addTask {
                    var generator = SystemRandomNumberGenerator()
                    while ContinuousClock.now < end {
                        let opened = await Self.eventStream(
                            port: port,
                            hold: .milliseconds(Int.random(in: 200...3000, using: &generator)),
                            counters: counters
                        )
                        // A refused stream is tried again after a pause, like a browser's EventSource: no spinning.
                        if !opened || lane % 4 == 0 { try await Task.sleep(for: .milliseconds(opened ? 50 : 500)) }
                    }
                }
            }
            // Every 30 s, 300 streams at once: past the 256-connection cap, then all closed together.
            group.addTask {
                while ContinuousClock.now + .seconds(30) < end {
                    try await Task.sleep(for: .seconds(30))
                    let connections = (0..<300).compactMap { _ in try? RawHTTPConnection(port: port) }
                    for connection in connections {
                        try? connection.send("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    }
                    try await Task.sleep(for: .seconds(2))
                    counters.streamsOpened.add(connections.count, ordering: .relaxed)
                    _ = connections.count  // closed as they go out of scope
                }
            }
            // Page loads, metrics, health, and the JSON answers.
            for _ in 0..<3 {
                group.addTask {
                    let targets = [
                        "/", "/fragments/sessions", "/fragments/quarantine", "/metrics", "/healthz", "/readyz",
                        "/?quarantine=200",
                    ]
                    var index = 0
                    while ContinuousClock.now < end {
                        index += 1
                        do {
                            let answer = try await RawHTTP.request(port: port, "GET", targets[index % targets.count])
                            counters.pageLoads.add(1, ordering: .relaxed)
                            if answer.status >= 500 { counters.requestFailures.add(1, ordering: .relaxed) }
                        } catch {
                            counters.requestFailures.add(1, ordering: .relaxed)
                        }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
            // Requeues of what is in quarantine, as the page's button sends them.
            group.addTask {
                while ContinuousClock.now < end {
                    try await Task.sleep(for: .seconds(5))
                    let names = ((try? FileSystem.list(quarantine)) ?? []).map(\.name).filter {
                        !$0.hasSuffix(".error.json")
                    }
                    guard let name = names.randomElement() else { continue }
                    if let answer = try? await RawHTTP.request(
                        port: port,
                        "POST",
                        "/quarantine/\(name)/requeue",
                        headers: ["X-SceneDrop-Action": "requeue"]
                    ),
                        answer.status == 200
                    {
                        counters.requeues.add(1, ordering: .relaxed)
                    }
                }
            }
            // Slowloris: 20 clients sending a request a byte a second; and 50 that connect and never speak.
            for _ in 0..<20 {
                group.addTask {
                    while ContinuousClock.now < end {
                        guard let connection = try? RawHTTPConnection(port: port) else {
                            try await Task.sleep(for: .seconds(1))
                            continue
                        }
                        counters.slowClients.add(1, ordering: .relaxed)
                        for byte in "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8 where ContinuousClock.now < end
                        {
                            guard (try? connection.send(String(UnicodeScalar(byte)))) != nil else { break }
                            try await Task.sleep(for: .seconds(1))
                        }
                    }
                }
            }
            group.addTask {
                while ContinuousClock.now < end {
                    let idle = (0..<50).compactMap { _ in try? RawHTTPConnection(port: port) }
                    counters.slowClients.add(idle.count, ordering: .relaxed)
                    try await Task.sleep(for: .seconds(40))
                    _ = idle.count
                }
            }
            // A daemon that died ends the run at once; RSS is noted each minute, to tell growth from warm-up.
            group.addTask {
                var second = 0
                while ContinuousClock.now < end {
                    try await Task.sleep(for: .seconds(10))
                    second += 10
                    guard process.isRunning else {
                        throw BenchError("the daemon died during the soak:\n\(process.stderr.suffix(4000))")
                    }
                    if second % 60 == 0, let rss = Self.rss(pid) { counters.perMinute.withLock { $0.append(rss) } }
                }
            }
            do {
                try await group.waitForAll()
            } catch let error as BenchError {
                group.cancelAll()
                FileHandle.standardError.write(Data("S1: \(error.description)\n".utf8))
            }
        }
        let alive = daemon.process.isRunning
        // Streams and slow clients are gone now: give the daemon a moment to close their descriptors, then sample.
        try? await waitUntil("the soak's connections closed", timeout: .seconds(60)) {
            (Self.descriptors(pid) ?? 0) <= samples[0].descriptors + 8 || !daemon.process.isRunning
        }
        samples.append(
            Sample(
                second: (ContinuousClock.now - started).seconds,
                rss: Self.rss(pid) ?? 0,
                descriptors: Self.descriptors(pid) ?? 0
            )
        )
        let peak = daemon.peakRSS ?? 0
        let published = daemon.count(of: "session published")
        let quarantined = daemon.count(of: "manifest quarantined")
        var exitStatus: Int32 = -1
        if alive {
            daemon.process.signal(SIGTERM)
            exitStatus = (try? await daemon.process.waitForExit(timeout: .seconds(120))) ?? -1
        } else {
            exitStatus = (try? await daemon.process.waitForExit(timeout: .seconds(5))) ?? -1
        }
        let traps =
            daemon.process.stderr.components(separatedBy: "*** Signal").count - 1
            + daemon.process.stderr.components(separatedBy: "Fatal error").count - 1
        let (first, last) = (samples[0], samples[samples.count - 1])
        let minutes = String(format: "%.1f min", duration.seconds / 60)
        func mib(_ bytes: Int) -> String { String(format: "%.0f MiB", Double(bytes) / 1_048_576) }
        return [
            Measure(
                scenario: "S1 soak",
                measure: "\(minutes) under web load: daemon alive, exit status at SIGTERM",
                value: alive ? "alive, exit \(exitStatus)" : "**died** (status \(exitStatus))",
                target: "alive, exit 0",
                met: alive && exitStatus == 0,
                number: Double(exitStatus),
                unit: "status"
            ),
            Measure(
                scenario: "S1 soak",
                measure: "traps in the daemon's output",
                value: "\(traps)",
                target: "0",
                met: traps == 0,
                number: Double(traps),
                unit: "traps"
            ),
            Measure(
                scenario: "S1 soak",
                measure: "RSS at start → end (peak)",
                value: "\(mib(first.rss)) → \(mib(last.rss)) (\(mib(peak)))",
                target: "report",
                met: nil,
                number: Double(last.rss),
                unit: "bytes"
            ),
            Measure(
                scenario: "S1 soak",
                measure: "RSS at each minute",
                value: counters.perMinute.withLock { $0.map(mib).joined(separator: ", ") },
                target: "report",
                met: nil,
                number: nil,
                unit: nil
            ),
            Measure(
                scenario: "S1 soak",
                measure: "open descriptors at start → end",
                value: "\(first.descriptors) → \(last.descriptors)",
                target: "back to the start (±8)",
                met: last.descriptors <= first.descriptors + 8,
                number: Double(last.descriptors),
                unit: "descriptors"
            ),
            Measure(
                scenario: "S1 soak",
                measure: "manifests dropped → published, quarantined; requeued",
                value:
                    "\(counters.manifests.load(ordering: .relaxed)) → \(published), \(quarantined); \(counters.requeues.load(ordering: .relaxed))",
                target: "report",
                met: nil,
                number: Double(published),
                unit: "sessions"
            ),
            Measure(
                scenario: "S1 soak",
                measure:
                    "event streams opened (refused: at the cap, retried after 0.5 s); page loads (failed); slow and idle clients",
                value:
                    "\(counters.streamsOpened.load(ordering: .relaxed)) (\(counters.streamsRefused.load(ordering: .relaxed))); \(counters.pageLoads.load(ordering: .relaxed)) (\(counters.requestFailures.load(ordering: .relaxed))); \(counters.slowClients.load(ordering: .relaxed))",
                target: "report",
                met: nil,
                number: Double(counters.streamsOpened.load(ordering: .relaxed)),
                unit: "streams"
            ),
        ]
    }

    /// One event stream: opened, its first frame read, held for `hold` (reading what comes), closed. False when
    /// the daemon refused it (closed at once: the connection cap).
    static func eventStream(port: Int, hold: Duration, counters: Counters) async -> Bool {
        guard let connection = try? RawHTTPConnection(port: port) else {
            counters.streamsRefused.add(1, ordering: .relaxed)
            return false
        }
        do {
            try connection.send("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let first = try await connection.read(timeout: .seconds(30)) {
                String(decoding: $0, as: UTF8.self).contains("data: {")
            }
            guard String(decoding: first, as: UTF8.self).contains("data: {") else {
                counters.streamsRefused.add(1, ordering: .relaxed)
                return false
            }
            counters.streamsOpened.add(1, ordering: .relaxed)
            _ = try? await connection.read(timeout: hold) { _ in false }
            return true
        } catch {
            counters.streamsRefused.add(1, ordering: .relaxed)
            return false
        }
    }

    static func rss(_ pid: Int32) -> Int? { processMemory(pid, "VmRSS") }

    static func descriptors(_ pid: Int32) -> Int? {
        (try? FileSystem.list("/proc/\(pid)/fd"))?.count
    }
}
