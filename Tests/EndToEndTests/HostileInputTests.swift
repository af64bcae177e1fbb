import Foundation
import Synchronization
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every invalid sample and a corpus of hostile inputs, through the running daemon: each gets the
/// documented outcome and a located message, nothing outside the root is touched, no FIFO is
/// opened, and the daemon keeps working.
@Suite struct HostileInputTests {
    /// file name → expected quarantine reason (nil: published).
    static func corpus() -> [(String, [UInt8], String?)] {
        func s(_ text: String) -> [UInt8] { Array(text.utf8) }
        func scene(_ fields: String) -> [UInt8] {
            s(#"{"scenes": [{"scene_number": 1, "image_create_prompt": "x"\#(fields)}]}"#)
        }
        let ok = #"{"scene_number": 1, "image_create_prompt": "x"}"#
        var cases: [(String, [UInt8], String?)] = [
            ("invalid-utf8.json", s(#"{"session": "a"#) + [0xC3, 0x28] + s(#""}"#), "not_utf8"),
            (
                "bom.json",
                [0xEF, 0xBB, 0xBF] + s(#"{"session": "bom-ok", "width": 128, "height": 72, "scenes": [\#(ok)]}"#), nil
            ),
            (
                "deep.json", s(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)),
                "invalid_json"
            ),
            ("two-mib.json", s("{\"pad\": \"" + String(repeating: "a", count: 2 << 20) + "\"}"), "too_large"),
            ("empty.json", [], "invalid_json"),
            ("nul.json", s(#"{"session": "a"#) + [0] + s(#"b"}"#), "invalid_json"),
            ("duplicate-keys.json", s(#"{"scenes": [\#(ok)], "scenes": [\#(ok)]}"#), "invalid_manifest"),
            (
                "huge-number.json", s(#"{"scenes": [{"scene_number": 1e400, "image_create_prompt": "x"}]}"#),
                "invalid_manifest"
            ),
            (
                "negative-number.json", s(#"{"scenes": [{"scene_number": -4, "image_create_prompt": "x"}]}"#),
                "invalid_manifest"
            ),
            (
                "fraction.json", s(#"{"scenes": [{"scene_number": 2.5, "image_create_prompt": "x"}]}"#),
                "invalid_manifest"
            ),
            ("duplicate-numbers.json", s(#"{"scenes": [\#(ok), \#(ok)]}"#), "invalid_manifest"),
            (
                "501-scenes.json",
                s(
                    "["
                        + (1...501).map { #"{"scene_number": \#($0), "image_create_prompt": "x"}"# }.joined(
                            separator: ","
                        ) + "]"
                ), "invalid_manifest"
            ),
            (
                "long-prompt.json",
                s(#"[{"scene_number": 1, "image_create_prompt": "\#(String(repeating: "p", count: 8001))"}]"#),
                "invalid_manifest"
            ),
            ("blank-prompt.json", s(#"[{"scene_number": 1, "image_create_prompt": "  \t "}]"#), "invalid_manifest"),
            ("trailing-comma.json", s(#"{"scenes": [\#(ok),]}"#), "invalid_json"),
            ("single-quotes.json", s("{'scenes': []}"), "invalid_json"),
            ("truncated.json", s(#"{"scenes": [{"scene_number": 1, "image_cr"#), "invalid_json"),
            ("lone-surrogate.json", s(#"[{"scene_number": 1, "image_create_prompt": "\ud800"}]"#), "invalid_json"),
            ("string-top.json", s(#""hello""#), "invalid_manifest"),
            ("null-top.json", s("null"), "invalid_manifest"),
            ("scenes-object.json", s(#"{"scenes": {"1": "x"}}"#), "invalid_manifest"),
            ("no-scenes.json", s(#"{"scenes": []}"#), "invalid_manifest"),
            ("width-string.json", s(#"{"width": "1920", "scenes": [\#(ok)]}"#), "invalid_manifest"),
            ("size-mismatch.json", s(#"{"width": 1000, "height": 1000, "scenes": [\#(ok)]}"#), "invalid_manifest"),
            ("bad-style.json", scene(#", "image_style": "noir""#), "invalid_manifest"),
            (
                "unknown-field.json",
                s(#"{"session": "unknown-field-ok", "width": 128, "height": 72, "colour": "red", "scenes": [\#(ok)]}"#),
                nil
            ),
        ]
        for (i, name) in ["../x", "/etc", "a/b", "with space", "ünï", "new\\nline", "..", "."].enumerated() {
            cases.append(("session-\(i).json", s(#"{"session": "\#(name)", "scenes": [\#(ok)]}"#), "invalid_manifest"))
        }
        return cases
    }

    @Test func everyBadInputIsQuarantinedWithALocatedReason() async throws {
        try await withTemporaryDirectory { root in
            let corpus = Self.corpus()
            for (name, bytes, _) in corpus { try writeFile(root + "/inbox/" + name, bytes) }
            let samples = listNames(packageRoot + "/samples/invalid")
            for name in samples {
                try writeFile(root + "/inbox/sample-" + name, readFile(packageRoot + "/samples/invalid/" + name) ?? [])
            }
            // Non-regular files: never opened, never followed.
            let passwdBefore = try #require(try FileSystem.info("/etc/passwd"))
            let passwdBytes = readFile("/etc/passwd")
            #expect(symlink("/etc/passwd", root + "/inbox/passwd-link.json") == 0)
            #expect(mkfifo(root + "/inbox/pipe.json", 0o644) == 0)
            try FileSystem.makeDirectories(root + "/inbox/folder.json")
            // A writer blocked on the FIFO until somebody opens it for reading: if the daemon ever
            // opened it, this thread would finish.
            let fifoOpened = Mutex<Bool>(false)
            let writer = Thread {
                let fd = open(root + "/inbox/pipe.json", O_WRONLY | O_CLOEXEC)
                if fd >= 0 { close(fd) }
                fifoOpened.withLock { $0 = true }
            }
            writer.start()
            try await waitUntil("the FIFO writer to block") { !fifoOpened.withLock { $0 } }

            let daemon = try await WatchDaemon.start(root, ["--rescan-interval", "500ms", "--settle", "300ms"])
            let expectedQuarantined = corpus.filter { $0.2 != nil }.count + samples.count + 2
            try await waitUntil("every bad input in quarantine", timeout: .seconds(120)) {
                listNames(daemon.quarantine).filter { !$0.hasSuffix(".error.json") }.count >= expectedQuarantined
            }
            try await waitForSessions(daemon.outbox, count: 2)

            for (name, _, reason) in corpus {
                if let reason {
                    let report = try #require(
                        jsonObject(daemon.quarantine + "/" + name + ".error.json"),
                        "\(name) has a report"
                    )
                    #expect(report["reason"] as? String == reason, "\(name)")
                    #expect((report["message"] as? String)?.isEmpty == false)
                    let errors = report["errors"] as? [[String: Any]] ?? []
                    let located =
                        report["line"] is Int
                        || errors.contains { ($0["path"] as? String)?.isEmpty == false || $0["line"] is Int }
                    #expect(located || reason == "too_large", "\(name) says where")
                    #expect(
                        readFile(daemon.quarantine + "/" + name) == corpus.first { $0.0 == name }?.1,
                        "\(name) kept byte for byte"
                    )
                }
            }
            for name in samples {
                let report = try #require(jsonObject(daemon.quarantine + "/sample-" + name + ".error.json"))
                #expect(["invalid_json", "invalid_manifest", "not_utf8"].contains(report["reason"] as? String ?? ""))
            }
            for link in ["passwd-link.json", "pipe.json"] {
                let report = try #require(jsonObject(daemon.quarantine + "/" + link + ".error.json"))
                #expect(report["reason"] as? String == "unsupported_file")
            }
            #expect(try FileSystem.info(daemon.quarantine + "/passwd-link.json")?.kind == .symlink)
            #expect(try FileSystem.info(daemon.quarantine + "/pipe.json")?.kind == .fifo)
            #expect(!fifoOpened.withLock { $0 }, "the FIFO was opened")
            #expect(try FileSystem.info("/etc/passwd") == passwdBefore)
            #expect(readFile("/etc/passwd") == passwdBytes)
            // A folder named *.json is left alone.
            #expect(listNames(daemon.inbox) == ["folder.json"])
            #expect(Set(try publishedSessions(daemon.outbox).map(\.name)) == ["bom-ok", "unknown-field-ok"])
            #expect(
                jsonObject(daemon.outbox + "/unknown-field-ok/session.json")?["warnings"].map { ($0 as? [Any])?.count }
                    == 1
            )

            // Still running, still working.
            #expect(daemon.process.isRunning)
            try writeFile(daemon.inbox + "/after.json", manifestJSON(session: "after"))
            try await waitForSessions(daemon.outbox, count: 3)
            #expect(try await daemon.stop() == 0)

            // Unblock the writer thread.
            let reader = open(root + "/quarantine/pipe.json", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            try await waitUntil("the FIFO writer to finish") { fifoOpened.withLock { $0 } }
            close(reader)
        }
    }

    /// A regular file and a symbolic link squat the places of two sessions in the outbox: neither is followed,
    /// replaced or removed; each manifest is quarantined after its first try as `outbox_conflict`, naming the
    /// path in the way (before: every publish failed and was retried with backoff for ever). Once the squatter
    /// is moved away, a requeue publishes.
    @Test func aSquattedOutboxPlaceIsAConflictNotARetryLoop() async throws {
        try await withTemporaryDirectory { root in
            try writeFile(root + "/outbox/squat-file", "not a session")
            try writeFile(root + "/elsewhere/keep.txt", "precious")
            try FileSystem.makeDirectories(root + "/outbox")
            #expect(symlink(root + "/elsewhere", root + "/outbox/squat-link") == 0)
            let daemon = try await WatchDaemon.start(root, ["--settle", "0s"])
            try dropFile(daemon.inbox + "/f.json", manifestJSON(session: "squat-file"))
            try dropFile(daemon.inbox + "/l.json", manifestJSON(session: "squat-link"))
            try await daemon.waitUntil("both manifests quarantined") {
                FileSystem.exists(daemon.quarantine + "/f.json.error.json")
                    && FileSystem.exists(daemon.quarantine + "/l.json.error.json")
            }
            for (file, session, kind) in [
                ("f.json", "squat-file", "a regular file"), ("l.json", "squat-link", "a symbolic link"),
            ] {
                let report = try #require(jsonObject(daemon.quarantine + "/" + file + ".error.json"))
                #expect(report["reason"] as? String == "outbox_conflict")
                let message = try #require(report["message"] as? String)
                #expect(message.contains(daemon.outbox + "/" + session) && message.contains(kind), "\(message)")
            }
            #expect(readText(root + "/outbox/squat-file") == "not a session")
            #expect(try FileSystem.info(root + "/outbox/squat-link")?.kind == .symlink)
            #expect(listNames(root + "/elsewhere") == ["keep.txt"])
            #expect(daemon.process.logRecords(.retryScheduled).isEmpty, "no retry loop")
            #expect(listNames(daemon.outbox + "/.staging", hidden: true).isEmpty)

            try FileSystem.unlinkFile(root + "/outbox/squat-file")
            let requeue = try await SceneDropProcess.run(["requeue", "--root", root, "f.json"], logDirectory: root)
            #expect(requeue.status == 0, "\(requeue.stderr)")
            try await daemon.waitUntil("squat-file published after the requeue") {
                FileSystem.exists(daemon.outbox + "/squat-file/session.json")
            }
            #expect(try await daemon.stop() == 0)
        }
    }

    /// A manifest named with an ESC sequence, a newline and a bidi override: `status`, `process`'s summary,
    /// the text log and the page show the name with those characters escaped, never raw (before, `status`
    /// printed a raw ESC and a spoofed line, and the page carried the raw ESC).
    @Test func controlCharactersInNamesAreEscapedWhereverPeopleReadThem() async throws {
        try await withTemporaryDirectory { root in
            let name = "evil\u{1B}[31m\nFAKE quarantine line\u{202E}.json"
            try writeFile(root + "/inbox/" + name, "{ not json")
            let processed = try await SceneDropProcess.run(
                ["process", "--root", root, "--settle", "0s", "--log-format", "text"],
                logDirectory: root
            )
            let status = try await SceneDropProcess.run(["status", "--root", root], logDirectory: root)
            #expect(status.status == 0)
            #expect(FileSystem.exists(root + "/quarantine/" + name + ".error.json"))
            for (what, text) in [
                ("process output", processed.stdout), ("text log", processed.stderr), ("status", status.stdout),
            ] {
                #expect(
                    !text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" },
                    "\(what) carries a raw control character"
                )
                #expect(!text.split(separator: "\n").contains { $0.hasPrefix("FAKE") }, "\(what) has a spoofed line")
            }
            #expect(status.stdout.contains("evil\\u001b[31m\\nFAKE quarantine line\\u202e.json"), "\(status.stdout)")

            let web = try await WebDaemon.start(root)
            let page = try await web.get("/")
            #expect(page.status == 200)
            #expect(!page.body.contains(0x1B))
            #expect(!page.text.unicodeScalars.contains { $0 == "\u{202E}" })
            #expect(page.text.contains("evil\\u001b[31m\\nFAKE quarantine line"))
            #expect(try await web.daemon.stop() == 0)
        }
    }

    /// The inbox swapped under the running daemon (one renameat2 RENAME_EXCHANGE) for a symbolic link to a
    /// folder outside the root, where other programs then write: nothing outside the root is read, moved or
    /// quarantined, and nothing is taken from the original folder either (it now stands outside the root, where
    /// the link was). The daemon says what changed, `/readyz` and `status` report not ready, and once the inbox
    /// is swapped back the daemon takes files again. Before: it claimed and published the outside files.
    @Test func aSwappedInboxLeadsNowhereOutsideTheRoot() async throws {
        try await withTemporaryDirectory { base in
            let root = base + "/root"
            let web = try await WebDaemon.start(
                root,
                ["--rescan-interval", "200ms", "--settle", "0s", "--log-level", "debug"]
            )
            let daemon = web.daemon
            try writeFile(base + "/outside/app.json", "{\"keep\": true}")
            #expect(symlink(base + "/outside", base + "/swap") == 0)
            try FileSystem.exchange(root + "/inbox", base + "/swap")
            #expect(try FileSystem.info(root + "/inbox")?.kind == .symlink)
            try await daemon.waitForLog(.inboxChangedSinceStart)
            // Other programs write through the link, and into the original folder where it now stands.
            try writeFile(base + "/outside/settings.json", "not json")
            try writeFile(base + "/outside/evil.json", manifestJSON(session: "evil"))
            try writeFile(base + "/swap/moved.json", manifestJSON(session: "moved"))
            // Five more rescans (each one skipped, and said at debug): every one would have taken them.
            let skipped = daemon.process.logRecords(.inboxRescanSkipped).count
            try await daemon.waitForLog(.inboxRescanSkipped, count: skipped + 5)

            #expect(listNames(base + "/outside").sorted() == ["app.json", "evil.json", "settings.json"])
            #expect(readText(base + "/outside/settings.json") == "not json")
            #expect(listNames(base + "/swap") == ["moved.json"])
            #expect(listNames(root + "/outbox").isEmpty)
            #expect(listNames(root + "/quarantine").isEmpty)
            let change = try #require(
                daemon.process.logRecords(.inboxChangedSinceStart).first
            )
            #expect(
                change["scenedrop.change"]?.contains("became a symbolic link to \(base)/outside") == true,
                "\(change)"
            )
            let ready = try await web.get("/readyz")
            #expect(
                ready.status == 503 && ready.text.contains("the inbox changed since start"),
                "\(ready.status) \(ready.text)"
            )
            let status = try await SceneDropProcess.run(["status", "--root", root], logDirectory: base)
            #expect(status.status == 1)
            #expect(status.stderr.contains("symbolic link"), "\(status.stderr)")
            let requeue = try await SceneDropProcess.run(["requeue", "--root", root, "--all"], logDirectory: base)
            #expect(requeue.status == 0 || requeue.status == 1)
            #expect(listNames(base + "/outside").sorted() == ["app.json", "evil.json", "settings.json"])

            // Swapped back: the folder opened at start is the inbox again, and what waits in it is taken.
            try FileSystem.exchange(root + "/inbox", base + "/swap")
            try await daemon.waitUntil("moved.json published once the inbox is back") {
                FileSystem.exists(root + "/outbox/moved/session.json")
            }
            #expect(
                !daemon.process.logRecords(.inboxBackToTheOneOpenedAtStart)
                    .isEmpty
            )
            #expect(try await web.get("/readyz").status == 200)
            #expect(!FileSystem.exists(root + "/outbox/evil"))
            #expect(try await daemon.stop() == 0)
        }
    }

    /// A 1 MiB manifest of 170,000 duplicate keys: its report lists the first 1,000 errors and counts them all,
    /// a few hundred KB instead of 25 MB (written twice, before).
    @Test func aFloodOfErrorsMakesASmallReport() async throws {
        try await withTemporaryDirectory { root in
            let members = (0..<170_000).map { _ in #""x":1"# }.joined(separator: ",")
            try writeFile(
                root + "/inbox/flood.json",
                #"{"scenes":[{"scene_number":1,"image_create_prompt":"p"}],"# + members + "}"
            )
            let result = try await SceneDropProcess.run(
                ["process", "--root", root, "--settle", "0s"],
                logDirectory: root
            )
            #expect(result.status == 1)
            let report = try #require(jsonObject(root + "/quarantine/flood.json.error.json"))
            #expect((report["errors"] as? [Any])?.count == 1000)
            #expect(report["errors_total"] as? Int == 169_999)
            let size = try #require(try FileSystem.info(root + "/quarantine/flood.json.error.json")).size
            print("a report of 169,999 duplicate keys: \(size) bytes")
            #expect(size < 1 << 20)
            #expect(result.stdout.utf8.count < 64 * 1024)
        }
    }

    /// Names of 255 bytes, the most ext4 allows (one of them in two-byte characters): a valid one is published
    /// (its `source` is the whole name), an invalid one is quarantined with its report under a shortened name,
    /// and nothing is left in the inbox. Before: the claim failed with ENAMETOOLONG at every rescan, for ever.
    @Test func namesOfTheLongestLegalLengthAreTakenLikeAnyOther() async throws {
        try await withTemporaryDirectory { root in
            let valid = String(repeating: "v", count: 250) + ".json"
            let invalid = String(repeating: "é", count: 125) + ".json"
            #expect(valid.utf8.count == 255 && invalid.utf8.count == 255)
            try writeFile(root + "/inbox/" + valid, manifestJSON(session: "long-valid"))
            try writeFile(root + "/inbox/" + invalid, "{ not json")
            let result = try await SceneDropProcess.run(
                ["process", "--root", root, "--settle", "0s"],
                logDirectory: root
            )
            #expect(result.status == 1, "quarantined one: \(result.stdout)")
            let session = try #require(jsonObject(root + "/outbox/long-valid/session.json"))
            #expect(session["source"] as? String == valid)
            let quarantined = listNames(root + "/quarantine").filter { !$0.hasSuffix(".error.json") }
            #expect(quarantined.count == 1)
            let name = try #require(quarantined.first)
            #expect(name.utf8.count <= 255 && name.hasPrefix("éé") && name.hasSuffix(".json"))
            let report = try #require(jsonObject(root + "/quarantine/" + name + ".error.json"))
            #expect(report["reason"] as? String == "invalid_json" && report["file"] as? String == name)
            #expect(listNames(root + "/inbox").isEmpty)
            #expect(claimsInWork(root) == 0)
        }
    }

    @Test func requeueSendsAFixedManifestBackThrough() async throws {
        try await withTemporaryDirectory { root in
            try writeFile(root + "/inbox/fixme.json", #"{"session": "fixme", "scenes": [{"scene_number": 1}]}"#)
            let daemon = try await WatchDaemon.start(root)
            try await waitUntil("the quarantine") { FileSystem.exists(root + "/quarantine/fixme.json.error.json") }
            try writeFile(root + "/quarantine/fixme.json", manifestJSON(session: "fixme"))
            let result = try await SceneDropProcess.run(["requeue", "--root", root, "fixme.json"], logDirectory: root)
            #expect(result.status == 0)
            #expect(result.stdout.contains("requeued  fixme.json"))
            try await waitForSessions(daemon.outbox, count: 1)
            #expect(listNames(root + "/quarantine").isEmpty)
            let missing = try await SceneDropProcess.run(["requeue", "--root", root, "nope.json"], logDirectory: root)
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("not in the quarantine"))
            #expect(try await daemon.stop() == 0)
        }
    }
}
