import Foundation
import Synchronization
import SystemSupport
import TestSupport

/// `inotifywait -m` on a folder: the floor. Each line it prints is stamped when this process reads
/// it, so the figure is kernel → inotifywait → pipe → reader, the least any watcher built on
/// inotify can do.
final class InotifyWaitFloor: @unchecked Sendable {
    /// Shared with the reader threads (a Mutex cannot be captured by value).
    final class Shared: Sendable {
        let seen = Mutex<[String: Double]>([:])
        let ready = Mutex(false)
    }

    private let process: ChildProcess
    private let shared = Shared()

    init(watching folder: String) async throws {
        // stdbuf runs it line-buffered, so each event reaches the pipe at once.
        _ = try Tool.path("inotifywait")
        process = try ChildProcess(
            "stdbuf",
            ["-oL", "inotifywait", "-m", "-e", "moved_to", "--format", "%f", folder],
            stdout: .pipe,
            stderr: .pipe
        )
        let shared = self.shared
        let out = process.standardOutput!
        let err = process.standardError!
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = out.availableData
                let now = WallClock.now()
                if chunk.isEmpty { return }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let name = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    shared.seen.withLock { if $0[name] == nil { $0[name] = now } }
                }
            }
        }
        Thread.detachNewThread {
            var text = ""
            while true {
                let chunk = err.availableData
                if chunk.isEmpty { return }
                text += String(decoding: chunk, as: UTF8.self)
                if text.contains("Watches established") { shared.ready.withLock { $0 = true } }
            }
        }
        try await waitUntil("inotifywait to watch \(folder)", timeout: .seconds(10)) {
            guard process.isRunning else {
                throw BenchError("inotifywait exited at start (status \(process.exitStatus ?? -1))")
            }
            return shared.ready.withLock { $0 }
        }
    }

    var times: [String: Double] { shared.seen.withLock { $0 } }

    func stop() async {
        await process.stop(grace: .seconds(5))
    }
}

/// The naive hot folder people write first: `inotifywait -m` piped into a shell loop that moves each
/// new file out of the inbox and publishes a folder for it (temp folder, then mv). No validation, no
/// image, no fsync, no recovery: a floor for "claim and publish" done in shell.
final class NaiveHotFolder {
    static let script = #"""
        set -u
        inbox=$1; work=$2; out=$3
        mkdir -p "$work" "$out"
        stdbuf -oL inotifywait -m -q -e moved_to -e close_write --format '%f' "$inbox" | while IFS= read -r f; do
          case "$f" in .*) continue ;; *.json) ;; *) continue ;; esac
          mv "$inbox/$f" "$work/$f" 2>/dev/null || continue
          echo "claimed $f $EPOCHREALTIME"
          s=${f%.json}
          mkdir -p "$out/.tmp-$s" && cp "$work/$f" "$out/.tmp-$s/manifest.json" &&
            printf '{"session":"%s"}\n' "$s" > "$out/.tmp-$s/session.json" && mv "$out/.tmp-$s" "$out/$s" && rm "$work/$f"
          echo "published $f $EPOCHREALTIME"
        done
        """#

    let root: String
    private let process: ChildProcess
    private let logPath: String

    var inbox: String { root + "/inbox" }

    init(root: String) async throws {
        self.root = root
        try FileSystem.makeDirectories(root + "/inbox")
        logPath = root + ".naive.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        for tool in ["inotifywait", "stdbuf", "mv", "mkdir", "cp"] { _ = try Tool.path(tool) }
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"  // EPOCHREALTIME with a dot
        // bash, its inotifywait and its loop share one process group: stopping the group stops all three.
        process = try ChildProcess(
            "bash",
            ["-c", Self.script, "naive", root + "/inbox", root + "/work", root + "/outbox"],
            environment: environment,
            stdout: .file(logPath),
            stderr: .null
        )
        // The loop is watching once a probe file is claimed.
        var probe = 0
        try await waitUntil("the naive hot folder to watch", timeout: .seconds(10), interval: .milliseconds(100)) {
            guard process.isRunning else {
                throw BenchError("the naive hot folder's shell exited at start (status \(process.exitStatus ?? -1))")
            }
            probe += 1
            _ = try drop(Array("{}".utf8), as: "probe-\(probe).json", into: inbox)
            return self.times("claimed").keys.contains { $0.hasPrefix("probe-") }
        }
        try await waitUntil("the naive probe to publish", timeout: .seconds(10)) {
            self.times("published").keys.contains { $0.hasPrefix("probe-") }
        }
    }

    /// Script-stamped times of `claimed` or `published`, by file name.
    func times(_ what: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in (try? String(contentsOfFile: logPath, encoding: .utf8))?.split(separator: "\n") ?? [] {
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == what, let time = Double(parts[2]) else { continue }
            result[String(parts[1])] = time
        }
        return result
    }

    func stop() async {
        await process.stop(grace: .seconds(5))
    }
}
