import Foundation
import Synchronization
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every way a manifest reaches the inbox, through the real daemon with real inotify.
@Suite struct ArrivalTests {
    @Test func copiedWithCp() async throws {
        try await withTemporaryDirectory { root in
            let daemon = try await WatchDaemon.start(root)
            try writeFile(root + "/source.json", manifestJSON(session: "by-cp"))
            #expect(try ChildProcess.run("cp", [root + "/source.json", daemon.inbox + "/by-cp.json"]) == 0)
            let sessions = try await waitForSessions(daemon.outbox, count: 1)
            #expect(sessions.map(\.name) == ["by-cp"])
            #expect(readFile(daemon.outbox + "/by-cp/manifest.json") == readFile(root + "/source.json"))
            #expect(try await daemon.stop() == 0)
            #expect(daemon.publishes == ["by-cp"])
        }
    }

    @Test func renamedFromADotTempName() async throws {
        try await withTemporaryDirectory { root in
            let daemon = try await WatchDaemon.start(root, ["--rescan-interval", "300ms", "--log-level", "debug"])
            // rsync writes .<name>.<random> in the destination, then renames.
            try writeFile(daemon.inbox + "/.synced.json.Ab12Cd", manifestJSON(session: "synced"))
            try await daemon.waitForRescans(3)
            #expect(try publishedSessions(daemon.outbox).isEmpty)
            #expect(listNames(daemon.inbox, hidden: true) == [".synced.json.Ab12Cd"])
            try FileSystem.rename(daemon.inbox + "/.synced.json.Ab12Cd", daemon.inbox + "/synced.json")
            try await waitForSessions(daemon.outbox, count: 1)
            #expect(try await daemon.stop() == 0)
            #expect(daemon.publishes == ["synced"])
        }
    }

    @Test func slowWriterIsTakenOnceAfterTheClose() async throws {
        try await withTemporaryDirectory { root in
            // Rescans every 500ms: they see the file grow and must not take it early.
            let daemon = try await WatchDaemon.start(root, ["--rescan-interval", "500ms", "--settle", "1s"])
            let text = manifestJSON(session: "slow", scenes: 3)
            let bytes = Array(text.utf8)
            // The writer runs on its own thread so the test runner's load cannot stall it.
            let finished = Atomic<Bool>(false)
            let path = daemon.inbox + "/slow.json"
            let writer = Thread {
                let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
                let chunks = 10
                let size = (bytes.count + chunks - 1) / chunks
                for i in 0..<chunks {
                    let part = Array(bytes[min(bytes.count, i * size)..<min(bytes.count, (i + 1) * size)])
                    _ = part.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    // The writer's own pace: 5 s in all (issue 4: "a file still being written for 5 s").
                    usleep(500_000)
                }
                close(fd)
                finished.store(true, ordering: .releasing)
            }
            writer.start()
            try await daemon.waitUntil("the writer to finish", timeout: .seconds(60)) {
                let done = finished.load(ordering: .acquiring)
                if !done {
                    let early = try publishedSessions(daemon.outbox)
                    #expect(early.isEmpty, "published before the writer finished")
                }
                return done
            }
            try await waitForSessions(daemon.outbox, count: 1)
            #expect(readFile(daemon.outbox + "/slow/manifest.json") == bytes)
            #expect(listNames(daemon.quarantine).isEmpty)
            #expect(try await daemon.stop() == 0)
            #expect(daemon.publishes == ["slow"])
        }
    }

    @Test func writerPausingLongerThanTheSettleIntervalIsNotJudgedHalfWritten() async throws {
        try await withTemporaryDirectory { root in
            // Rescans every 200ms and a 500ms settle: the pause below makes the file look finished.
            let daemon = try await WatchDaemon.start(
                root,
                ["--rescan-interval", "200ms", "--settle", "500ms", "--log-level", "debug"]
            )
            let bytes = Array(manifestJSON(session: "paused", scenes: 2).utf8)
            let half = bytes.count / 2
            let fd = open(daemon.inbox + "/paused.json", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            #expect(fd >= 0)
            _ = Array(bytes[..<half]).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            // The gate takes the file while the writer still holds it open.
            try await daemon.waitUntil("the half-written file to be claimed") {
                !FileSystem.exists(daemon.inbox + "/paused.json")
            }
            // Without the open-for-writing check it was judged truncated within about a second.
            try await daemon.waitForRescans(10)
            #expect(listNames(daemon.quarantine).isEmpty, "judged before the writer finished")
            _ = Array(bytes[half...]).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            do {
                try await waitForSessions(daemon.outbox, count: 1)
            } catch {
                Issue.record(
                    "\(error)\nreport: \(readText(daemon.quarantine + "/paused.json.error.json") ?? "none")\nlog: \(daemon.process.stderr.suffix(2500))"
                )
                throw error
            }
            #expect(readFile(daemon.outbox + "/paused/manifest.json") == bytes)
            #expect(listNames(daemon.quarantine).isEmpty)
            #expect(try await daemon.stop() == 0)
            #expect(daemon.publishes == ["paused"])
        }
    }

    @Test func hardLinkedWithoutACloseEventIsFoundByTheRescan() async throws {
        try await withTemporaryDirectory { root in
            let daemon = try await WatchDaemon.start(root, ["--rescan-interval", "1s"])
            try writeFile(root + "/upload.json.filepart", manifestJSON(session: "sftp"))
            // OpenSSH's sftp-server renames by link() + unlink(): no IN_CLOSE_WRITE, no IN_MOVED_TO.
            #expect(link(root + "/upload.json.filepart", daemon.inbox + "/upload.json") == 0)
            #expect(unlink(root + "/upload.json.filepart") == 0)
            try await waitForSessions(daemon.outbox, count: 1)
            #expect(try await daemon.stop() == 0)
            #expect(daemon.publishes == ["sftp"])
        }
    }

    @Test func presentBeforeTheDaemonStarts() async throws {
        try await withTemporaryDirectory { root in
            try writeFile(root + "/inbox/early-1.json", manifestJSON(session: "early-1"))
            try writeFile(root + "/inbox/early-2.json", manifestJSON(session: "early-2"))
            let daemon = try await WatchDaemon.start(root)
            let sessions = try await waitForSessions(daemon.outbox, count: 2)
            #expect(Set(sessions.map(\.name)) == ["early-1", "early-2"])
            #expect(try await daemon.stop() == 0)
            #expect(daemon.publishes.sorted() == ["early-1", "early-2"])
            #expect(listNames(root + "/inbox").isEmpty)
        }
    }

    @Test func ignoredNamesStayInTheInbox() async throws {
        try await withTemporaryDirectory { root in
            let ignored = [
                ".hidden.json", "._mac.json", "~$office.json", "draft.json~", "a.json.tmp", "b.json.part",
                "c.json.crdownload", "notes.txt",
            ]
            for name in ignored { try writeFile(root + "/inbox/" + name, manifestJSON(session: "never")) }
            try writeFile(root + "/inbox/real.json", manifestJSON(session: "real"))
            let daemon = try await WatchDaemon.start(root, ["--rescan-interval", "300ms", "--log-level", "debug"])
            try await waitForSessions(daemon.outbox, count: 1)
            // Several rescans later, still untouched.
            try await daemon.waitForRescans(3)
            #expect(listNames(root + "/inbox", hidden: true) == ignored.sorted())
            #expect(try await daemon.stop() == 0)
        }
    }
}
