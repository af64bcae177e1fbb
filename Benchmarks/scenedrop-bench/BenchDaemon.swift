import Foundation
import SystemSupport
import TestSupport

/// A real `scenedrop watch` on a temporary root. Timings come from its JSON log, whose records carry
/// microsecond wall-clock times, so nothing is measured by polling.
final class BenchDaemon {
    let root: String
    let process: SceneDropProcess

    var inbox: String { root + "/inbox" }
    var outbox: String { root + "/outbox" }

    /// Added to every daemon's command line (`scenedrop-bench --daemon-args`), for experiments.
    nonisolated(unsafe) static var extraArguments: [String] = []
    nonisolated(unsafe) static var keepScratch = false

    init(root: String, arguments: [String] = [], environment: [String: String] = [:]) async throws {
        self.root = root
        try FileSystem.makeDirectories(root + "/inbox")
        // The log lives beside the root, never inside a folder the daemon watches.
        process = try SceneDropProcess(
            ["watch", "--root", root, "--log-format", "json"] + arguments + Self.extraArguments,
            logDirectory: FileSystem.parentPath(root),
            environment: environment
        )
        try await waitUntil("the daemon to watch \(root)/inbox", timeout: .seconds(60)) {
            guard process.isRunning else { throw BenchError("scenedrop watch exited at start: \(process.stderr)") }
            return !records("inbox watch in place").isEmpty
        }
    }

    /// Wall-clock times of the log records with `message`, keyed by the value of `key`.
    func times(of message: String, by key: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for record in records(message) {
            guard let name = record[key], let time = record["time"].flatMap(parseTime) else { continue }
            result[name] = min(result[name] ?? .infinity, time)
        }
        return result
    }

    func count(of message: String) -> Int { records(message).count }

    /// The log records so far whose message is `message`. The log is read incrementally: the
    /// benchmark polls it while it measures, and re-parsing it whole each time would load the machine.
    func records(_ message: String) -> [[String: String]] {
        readNewLogLines()
        return parsed.filter { $0["message"] == message }
    }

    private var parsed: [[String: String]] = []
    private var logOffset: UInt64 = 0
    private var partialLine = Data()

    private func readNewLogLines() {
        guard let handle = FileHandle(forReadingAtPath: process.stderrPath) else { return }
        defer { try? handle.close() }
        try? handle.seek(toOffset: logOffset)
        guard let chunk = try? handle.readToEnd(), !chunk.isEmpty else { return }
        logOffset += UInt64(chunk.count)
        partialLine.append(chunk)
        while let newline = partialLine.firstIndex(of: 0x0A) {
            let line = partialLine[partialLine.startIndex..<newline]
            partialLine.removeSubrange(partialLine.startIndex...newline)
            if let record = (try? JSONSerialization.jsonObject(with: line)) as? [String: String] {
                parsed.append(record)
            }
        }
    }

    /// Peak resident set size so far, in bytes (the kernel's high-water mark).
    var peakRSS: Int? { processMemory(process.pid, "VmHWM") }

    /// User + system CPU seconds used so far.
    var cpuSeconds: Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// SIGTERM and wait: the daemon finishes what it holds and logs its totals.
    func stop() async throws {
        process.signal(SIGTERM)
        try await process.waitForExit(timeout: .seconds(300))
    }

    var stoppedRecord: [String: String]? { records("stopped").last }
}

/// `2026-11-22T13:50:00.123456Z` → seconds since 1970.
func parseTime(_ text: String) -> Double? {
    let utf8 = Array(text.utf8)
    guard utf8.count >= 20 else { return nil }
    func number(_ range: Range<Int>) -> Int? { Int(String(decoding: utf8[range], as: UTF8.self)) }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
        let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
    else { return nil }
    var parts = tm()
    parts.tm_year = Int32(year - 1900)
    parts.tm_mon = Int32(month - 1)
    parts.tm_mday = Int32(day)
    parts.tm_hour = Int32(hour)
    parts.tm_min = Int32(minute)
    parts.tm_sec = Int32(second)
    var fraction = 0.0
    if utf8[19] == UInt8(ascii: "."), let end = utf8.lastIndex(of: UInt8(ascii: "Z")), end > 20 {
        fraction = Double("0." + String(decoding: utf8[20..<end], as: UTF8.self)) ?? 0
    }
    return Double(timegm(&parts)) + fraction
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes under a hidden name, then renames into `folder`: the drop's time is taken just before the
/// rename, the moment the file appears whole.
func drop(_ bytes: [UInt8], as name: String, into folder: String) throws -> Double {
    let temp = folder + "/." + name + ".part"
    try FileSystem.createFile(temp, bytes: bytes, sync: false)
    let time = WallClock.now()
    try FileSystem.rename(temp, folder + "/" + name)
    return time
}

func manifest(
    session: String,
    scenes: Int,
    width: Int,
    height: Int,
    quality: String = "draft",
    promptSeed: String = ""
) -> [UInt8] {
    let list = (1...scenes).map { n in
        #"{"scene_number": \#(n), "image_create_prompt": "Benchmark scene \#(n) of \#(session)\#(promptSeed), a lighthouse at dusk", "image_style": "cinematic"}"#
    }.joined(separator: ", ")
    return Array(
        #"{"session": "\#(session)", "quality": "\#(quality)", "width": \#(width), "height": \#(height), "scenes": [\#(list)]}"#
            .utf8
    )
}

/// Removes a scenario's folders, unless `--keep` asked to look at them (logs, outbox) afterwards.
func removeScratch(_ path: String) {
    if BenchDaemon.keepScratch {
        FileHandle.standardError.write(Data("kept \(path)\n".utf8))
    } else {
        try? FileSystem.removeTree(path)
    }
}

func makeTemporaryDirectory(_ label: String) throws -> String {
    // TMPDIR picks the filesystem under test (the default /tmp is the machine's disk).
    let parent = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array("\(parent)/scenedrop-bench-\(label)-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp failed: errno \(errno)") }
    return String(cString: made)
}
