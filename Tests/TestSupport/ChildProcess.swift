import Foundation
import Synchronization
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// A program the tests or the benchmark run is not installed.
package struct MissingTool: Error, CustomStringConvertible {
    package var tool: String
    package var package: String?

    package var description: String {
        let install = package.map { ": install the Debian package \($0) (`.ci/setup test` does)" } ?? ""
        return "\(tool) is not installed (not found on PATH)\(install)"
    }
}

/// The programs the tests and the benchmark run, found on PATH: a missing one fails with its name and
/// the Debian package that brings it, never as a silent `try?` or a hang.
package enum Tool {
    /// Which Debian package provides each tool (`.ci/setup test` installs them all).
    package static let packages: [String: String] = [
        "inotifywait": "inotify-tools", "pkill": "procps", "ps": "procps", "stdbuf": "coreutils",
        "cp": "coreutils", "sleep": "coreutils", "sha256sum": "coreutils", "nice": "coreutils", "mount": "mount",
        "umount": "mount", "sh": "dash", "bash": "bash",
        "sshfs": "sshfs", "sshd": "openssh-server", "ssh-keygen": "openssh-client", "fusermount3": "fuse3",
        "unshare": "util-linux",
    ]

    /// - Parameter searchPath: the folders to look in; `nil` reads PATH.
    package static func path(_ name: String, searchPath: String? = nil) throws(MissingTool) -> String {
        if name.hasPrefix("/") {
            guard access(name, X_OK) == 0 else {
                throw MissingTool(tool: name, package: packages[FileSystem.baseName(name)])
            }
            return name
        }
        let search =
            searchPath ?? ProcessInfo.processInfo.environment["PATH"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        for folder in search.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw MissingTool(tool: name, package: packages[name])
    }
}

/// A child process in a process group of its own, started with `Spawn` (no Foundation run loop, no
/// global SIGCHLD handler). Stopping signals the whole group, so whatever the child started (a
/// shell's pipeline, a benchmark's daemons) goes with it, and every wait has a deadline.
package final class ChildProcess: @unchecked Sendable {
    package let pid: pid_t
    package let command: String
    /// The read end, for `.pipe` outputs.
    package let standardOutput: FileHandle?
    package let standardError: FileHandle?

    /// Process groups started and not yet reaped, so a benchmark that is told to stop can take its
    /// children with it (`stopAll`).
    private static let live = Mutex<Set<pid_t>>([])

    /// Starts `tool` (a name looked up on PATH, or an absolute path) with `arguments`.
    /// - Parameter environment: the whole environment; `nil` inherits this process's.
    package init(
        _ tool: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        stdout: Spawn.Output = .inherit,
        stderr: Spawn.Output = .inherit
    ) throws {
        let executable = try Tool.path(tool)
        command = ([tool] + arguments).joined(separator: " ")
        let started = try Spawn.start(
            executable,
            arguments,
            environment: environment ?? ProcessInfo.processInfo.environment,
            stdout: stdout,
            stderr: stderr
        )
        pid = started.pid
        standardOutput = started.stdout.map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
        standardError = started.stderr.map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
        Self.live.withLock { _ = $0.insert(started.pid) }
    }

    deinit {
        stopNow()
    }

    /// Whether the child still runs (never blocks). An ended child is left a zombie until `stop`,
    /// `stopNow` or deinit reaps it: while it is one its pid, and so its process group's id, cannot be
    /// reused, so signalling the group can never reach another program (pid_max is 32768 here).
    package var isRunning: Bool {
        ended.withLock { status in
            if status != nil { return false }
            var info = siginfo_t()
            guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else {
                // ECHILD: already reaped elsewhere; treat it as ended.
                status = .exited(-1)
                return false
            }
            guard info._sifields._sigchld.si_pid == pid else { return true }
            let code = info._sifields._sigchld.si_status
            status = info.si_code == CLD_EXITED ? .exited(code) : .signalled(code)
            return false
        }
    }

    private enum Ending {
        case exited(Int32)
        case signalled(Int32)
    }
    private let ended = Mutex<Ending?>(nil)
    private let reaped = Mutex(false)

    /// The exit code, or 128 + the signal that ended it; `nil` while it runs.
    package var exitStatus: Int32? {
        guard !isRunning, let ending = ended.withLock({ $0 }) else { return nil }
        switch ending {
        case .exited(let code): return code
        case .signalled(let signal): return 128 + signal
        }
    }

    /// The signal that ended the child, if one did.
    package var terminationSignal: Int32? {
        guard !isRunning, case .signalled(let signal) = ended.withLock({ $0 }) else { return nil }
        return signal
    }

    /// Sends `signal` to the child alone.
    package func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Sends `signal` to the child's whole process group (it and everything it started that did not
    /// leave the group).
    package func signalGroup(_ signal: Int32) {
        reaped.withLock { if !$0 { _ = kill(-pid, signal) } }
    }

    /// Reaps the ended leader (after its group has been signalled): from here on its pid may be reused.
    private func reap() {
        reaped.withLock { done in
            guard !done, !isRunning else { return }
            var raw: Int32 = 0
            _ = waitpid(pid, &raw, WNOHANG)
            done = true
            Self.live.withLock { _ = $0.remove(pid) }
        }
    }

    /// Waits for the child to end, for at most `timeout`; returns `exitStatus`.
    @discardableResult
    package func wait(timeout: Duration) async throws -> Int32 {
        try await waitUntil("\(command) (pid \(pid)) to exit", timeout: timeout, interval: .milliseconds(10)) {
            !isRunning
        }
        return exitStatus ?? -1
    }

    /// `wait(timeout:)` for callers that cannot suspend.
    @discardableResult
    package func waitBlocking(timeout: Duration) throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= deadline { throw TimedOut(what: "\(command) (pid \(pid)) to exit") }
            usleep(5_000)
        }
        return exitStatus ?? -1
    }

    /// SIGTERM to the group, up to `grace` to end, then SIGKILL to the group. The group is signalled
    /// even when the leader has already ended: what it started may still run.
    package func stop(grace: Duration = .seconds(10)) async {
        signalGroup(SIGTERM)
        if (try? await wait(timeout: grace)) == nil {
            signalGroup(SIGKILL)
            _ = try? await wait(timeout: .seconds(10))
        }
        signalGroup(SIGKILL)
        reap()
    }

    /// SIGKILL to the group and a bounded reap, for paths that cannot wait politely.
    package func stopNow() {
        signalGroup(SIGKILL)
        _ = try? waitBlocking(timeout: .seconds(10))
        reap()
    }

    /// Kills every child group this process started and has not reaped (a benchmark stopped by a
    /// signal takes its daemons and watchers with it).
    package static func killAll() {
        // Unreaped leaders only (see `isRunning`), so each id is still that group's.
        for pid in live.withLock({ Array($0) }) { kill(-pid, SIGKILL) }
    }

    /// Runs `tool` to completion (output discarded unless routed) within `timeout`; on time-out the
    /// group is killed and `TimedOut` thrown.
    @discardableResult
    package static func run(
        _ tool: String,
        _ arguments: [String],
        timeout: Duration = .seconds(60),
        stdout: Spawn.Output = .null,
        stderr: Spawn.Output = .null
    ) throws -> Int32 {
        let child = try ChildProcess(tool, arguments, stdout: stdout, stderr: stderr)
        do {
            let status = try child.waitBlocking(timeout: timeout)
            child.stopNow()
            return status
        } catch {
            child.stopNow()
            throw error
        }
    }
}

package struct ChildProcessError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
