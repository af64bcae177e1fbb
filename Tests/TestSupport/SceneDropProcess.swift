import Foundation
import SystemSupport

/// The built `scenedrop` binary, run as a child process the way users and scripts run it.
package final class SceneDropProcess: @unchecked Sendable {
    package let child: ChildProcess
    package let stderrPath: String
    package let stdoutPath: String

    /// The binary beside the test bundle (SwiftPM builds both into the same folder), or
    /// `SCENEDROP_TEST_BINARY` (to run the end-to-end tests against a release or installed build).
    package static var binary: String {
        if let chosen = ProcessInfo.processInfo.environment["SCENEDROP_TEST_BINARY"], !chosen.isEmpty {
            return chosen.hasPrefix("/") ? chosen : FileManager.default.currentDirectoryPath + "/" + chosen
        }
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = FileSystem.parentPath(exe)
        // The test runner may sit inside a bundle folder.
        for _ in 0..<4 where !FileSystem.exists(dir + "/scenedrop") {
            dir = FileSystem.parentPath(dir)
        }
        return dir + "/scenedrop"
    }

    /// Whether the binary runs under a wrapper (`unshare`): signals then go to the whole group.
    private let wrapped: Bool

    /// Starts `scenedrop <arguments>`; output goes to files under `logDirectory`. `wrapper` runs it
    /// through another program, e.g. `["unshare", "--pid", "--fork", "--mount-proc"]` for a process
    /// table of its own (a stand-in for another host).
    package init(
        _ arguments: [String],
        logDirectory: String,
        name: String = "scenedrop",
        environment: [String: String] = [:],
        wrapper: [String] = []
    ) throws {
        wrapped = !wrapper.isEmpty
        stderrPath = logDirectory + "/\(name).\(UInt32.random(in: 0...UInt32.max)).stderr"
        stdoutPath = stderrPath.replacingOccurrences(of: ".stderr", with: ".stdout")
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        var env = ProcessInfo.processInfo.environment
        env["GEMINI_API_KEY"] = nil
        env["GOOGLE_API_KEY"] = nil
        // A test runner started by systemd must not have its daemons notify the runner's unit.
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { env[name] = nil }
        for (k, v) in environment { env[k] = v }
        let command = wrapper + [Self.binary] + arguments
        child = try ChildProcess(
            command[0],
            Array(command.dropFirst()),
            environment: env,
            stdout: .file(stdoutPath),
            stderr: .file(stderrPath)
        )
    }

    package var isRunning: Bool { child.isRunning }
    package var pid: Int32 { child.pid }

    package func signal(_ signal: Int32) {
        if wrapped { child.signalGroup(signal) } else { child.signal(signal) }
    }

    /// Waits for the process to end; returns its exit status (128 + the signal when one ended it).
    @discardableResult
    package func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        try await child.wait(timeout: timeout)
    }

    package var terminationReasonIsSignal: Bool { child.terminationSignal != nil }

    package var stderr: String { readText(stderrPath) ?? "" }
    package var stdout: String { readText(stdoutPath) ?? "" }

    /// Log records (with `--log-format json`) whose message is exactly `message`.
    package func logRecords(_ message: DaemonLog) -> [[String: String]] {
        Self.records(in: stderr, message.rawValue)
    }

    /// Log records in `log` (JSON lines) whose message is exactly `message`.
    package static func records(in log: String, _ message: String) -> [[String: String]] {
        // Tests poll this every few milliseconds over logs of thousands of lines: only the lines
        // that can hold the message are parsed (the log writes a plain message as it is).
        let plain = !message.unicodeScalars.contains {
            $0 == "\"" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F || $0.value >= 0x2028
        }
        let needle = "\"message\":\"\(message)\""
        return log.split(separator: "\n").compactMap { line in
            guard !plain || line.contains(needle),
                let data = line.data(using: .utf8),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: String],
                object["message"] == message
            else { return nil }
            return object
        }
    }

    /// Runs a command to completion and returns (status, stdout, stderr); on time-out it is killed.
    package static func run(
        _ arguments: [String],
        logDirectory: String,
        timeout: Duration = .seconds(120),
        environment: [String: String] = [:]
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let p = try SceneDropProcess(arguments, logDirectory: logDirectory, environment: environment)
        let status = try await p.waitForExit(timeout: timeout)
        return (status, p.stdout, p.stderr)
    }
}
