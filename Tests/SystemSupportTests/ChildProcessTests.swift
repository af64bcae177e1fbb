import Foundation
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The helper every test and the benchmark start programs with: its own process group, stopped as a
/// group, every wait bounded, a missing tool named with its package.
@Suite struct ChildProcessTests {
    @Test func stoppingTakesEverythingTheChildStartedWithIt() async throws {
        try await withTemporaryDirectory { dir in
            // A shell with two background children, as a pipeline or a daemon's helpers would be.
            let shell = try ChildProcess(
                "sh",
                ["-c", "sleep 60 & echo $! > '\(dir)/a'; sleep 60 & echo $! > '\(dir)/b'; wait"]
            )
            // `echo $! > file` creates the file before it writes the number: wait for both numbers, not the files.
            func children() -> [pid_t] {
                [dir + "/a", dir + "/b"].compactMap {
                    readText($0).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                }
            }
            try await waitUntil("both children started") { children().count == 2 }
            let children = children()
            #expect(children.count == 2)
            #expect(children.allSatisfy(isAlive))
            await shell.stop(grace: .seconds(5))
            #expect(!shell.isRunning)
            #expect(shell.terminationSignal == SIGTERM)
            try await waitUntil("the shell's children to be gone", timeout: .seconds(10)) {
                children.allSatisfy { !isAlive($0) }
            }
        }
    }

    @Test func aChildIgnoringSIGTERMIsKilledAfterTheGrace() async throws {
        try await withTemporaryDirectory { dir in
            let stubborn = try ChildProcess(
                "sh",
                ["-c", "trap '' TERM; touch '\(dir)/ready'; while :; do sleep 1; done"]
            )
            try await waitUntil("the trap to be set") { FileSystem.exists(dir + "/ready") }
            await stubborn.stop(grace: .milliseconds(300))
            // SIGTERM did nothing; the escalation to SIGKILL is what ended it.
            #expect(stubborn.terminationSignal == SIGKILL)
        }
    }

    @Test func aWaitHasADeadline() async throws {
        let sleeper = try ChildProcess("sleep", ["60"])
        await #expect(throws: TimedOut.self) { try await sleeper.wait(timeout: .milliseconds(100)) }
        #expect(throws: TimedOut.self) { try ChildProcess.run("sleep", ["60"], timeout: .milliseconds(100)) }
        sleeper.stopNow()
        #expect(sleeper.terminationSignal == SIGKILL)
    }

    @Test func exitStatusAndOutputAreReported() async throws {
        let child = try ChildProcess("sh", ["-c", "echo out; echo err >&2; exit 3"], stdout: .pipe, stderr: .pipe)
        #expect(try await child.wait(timeout: .seconds(10)) == 3)
        #expect(String(decoding: try #require(child.standardOutput).readDataToEndOfFile(), as: UTF8.self) == "out\n")
        #expect(String(decoding: try #require(child.standardError).readDataToEndOfFile(), as: UTF8.self) == "err\n")
    }

    @Test func aMissingToolIsNamedWithItsPackage() {
        #expect(throws: MissingTool.self) { try ChildProcess("scenedrop-no-such-tool", []) }
        // pkill is looked up on PATH like any tool: where it is missing, the error says to install procps.
        do {
            _ = try Tool.path("pkill", searchPath: "/nonexistent")
            Issue.record("pkill found on an empty PATH")
        } catch {
            #expect(
                error.description
                    == "pkill is not installed (not found on PATH): install the Debian package procps (`.ci/setup test` does)"
            )
        }
    }

    /// Every tool the tests and the benchmark run is installed (`.ci/setup test` installs them): a missing one
    /// fails here, by name, instead of as a hang somewhere else.
    @Test func everyToolTheSuiteRunsIsInstalled() throws {
        for tool in Tool.packages.keys.sorted() {
            #expect(throws: Never.self) { try Tool.path(tool) }
        }
    }
}
