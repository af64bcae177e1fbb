import FakeGemini
import Foundation
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 21, points 2–6, through the built binary on real folders: names made as raw bytes (not UTF-8; NFC and
/// NFD spellings of one text), a writer that closes and opens again, derived session names that would collide,
/// and two drops of one session in a race.
@Suite struct NamesAndVersionsTests {
    static let nfcCafe: [UInt8] = Array("caf".utf8) + [0xC3, 0xA9]  // "café", é as one code point
    static let nfdCafe: [UInt8] = Array("cafe".utf8) + [0xCC, 0x81]  // "café", e + combining acute accent

    /// Latin-1 names from an old SMB client: one valid (no `session`: the name is derived), one not. Before: never
    /// taken, nothing logged (the listing decoded the name to U+FFFD, and no such file existed).
    @Test func namesThatAreNotUTF8AreProcessedOrQuarantined() async throws {
        try await withTemporaryDirectory { root in
            try FileSystem.makeDirectories(root + "/inbox")
            // One there at start (found by the first rescan), one dropped while the daemon watches (inotify).
            try writeRaw(root + "/inbox/", Array("caf".utf8) + [0xE9] + Array("-l1.json".utf8), bareManifest())
            let daemon = try await WatchDaemon.start(root)
            try writeRaw(daemon.inbox + "/", Array("bad".utf8) + [0xFF] + Array(".json".utf8), Array("{ nope".utf8))
            try await daemon.waitUntil("one published, one quarantined") {
                listNames(daemon.outbox).count == 1 && listNames(daemon.quarantine).count == 2
            }
            let session = try #require(listNames(daemon.outbox).first)
            #expect(session.hasPrefix("caf-xE9-l1-"), "derived from the name's text, with its hash: \(session)")
            let metadata = try #require(jsonObject(daemon.outbox + "/" + session + "/session.json"))
            #expect(metadata["source"] as? String == #"caf\xE9-l1.json"#)
            #expect(listNames(daemon.quarantine) == [#"bad\xFF.json"#, #"bad\xFF.json.error.json"#])
            let report = try #require(jsonObject(daemon.quarantine + "/" + #"bad\xFF.json.error.json"#))
            #expect(report["reason"] as? String == "invalid_json")
            #expect(listNames(daemon.inbox).isEmpty && claimsInWork(root) == 0)
            #expect(try await daemon.stop() == 0)
        }
    }

    /// `résumé.json` twice, as a Linux and a macOS client write it, both there at start. Before: neither published
    /// after 45 s (the two were one name to the intake, whose observations then changed at every look), and a
    /// wrong warning that the file kept changing.
    @Test func nfcAndNfdSpellingsOfOneNameAreTwoFiles() async throws {
        try await withTemporaryDirectory { root in
            try FileSystem.makeDirectories(root + "/inbox")
            let nfc = Array("r".utf8) + [0xC3, 0xA9] + Array("sum".utf8) + [0xC3, 0xA9] + Array(".json".utf8)
            let nfd = Array("re".utf8) + [0xCC, 0x81] + Array("sume".utf8) + [0xCC, 0x81] + Array(".json".utf8)
            try writeRaw(root + "/inbox/", nfc, Array(manifestJSON(session: "resume-nfc").utf8))
            try writeRaw(root + "/inbox/", nfd, Array(manifestJSON(session: "resume-nfd", scenes: 2).utf8))
            let daemon = try await WatchDaemon.start(root, ["--rescan-interval", "300ms"])
            let sessions = try await waitForSessions(daemon.outbox, count: 2)
            #expect(sessions.map(\.name) == ["resume-nfc", "resume-nfd"])
            for (session, name) in [("resume-nfc", nfc), ("resume-nfd", nfd)] {
                let source = try #require(
                    jsonObject(daemon.outbox + "/" + session + "/session.json")?["source"] as? String
                )
                #expect(Array(source.utf8) == name, "\(session)'s source is its own spelling")
            }
            try await daemon.waitUntil("the inbox emptied") {
                listNames(daemon.inbox).isEmpty && claimsInWork(root) == 0
            }
            #expect(try await daemon.stop() == 0)
            #expect(daemon.process.logRecords(.fileWaitingNotTaken).isEmpty)
        }
    }

    /// A writer that writes half a manifest, closes, and appends the rest 0.3 s later by opening the path again.
    /// Before: the first close was taken for the end, the half was claimed, the rest became a second file, and
    /// both pieces ended in quarantine.
    @Test func aWriterThatClosesAndReopensGivesOneSession() async throws {
        try await withTemporaryDirectory { root in
            let daemon = try await WatchDaemon.start(root, ["--settle", "2s"])
            let bytes = Array(manifestJSON(session: "reopened", scenes: 3).utf8)
            let path = daemon.inbox + "/reopened.json"
            // On a thread of its own, so the test runner's load cannot stretch the writer's pause past the settle.
            try await onOwnThread {
                let half = bytes.count / 2
                let first = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                _ = bytes[..<half].withUnsafeBytes { write(first, $0.baseAddress, $0.count) }
                close(first)
                usleep(300_000)  // the writer's own pause between its two opens: the case under test
                let second = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
                _ = bytes[half...].withUnsafeBytes { write(second, $0.baseAddress, $0.count) }
                close(second)
            }
            let sessions = try await waitForSessions(daemon.outbox, count: 1)
            #expect(sessions.map(\.name) == ["reopened"])
            #expect(readFile(daemon.outbox + "/reopened/manifest.json") == bytes)
            try await daemon.waitUntil("the inbox emptied") {
                listNames(daemon.inbox).isEmpty && claimsInWork(root) == 0
            }
            #expect(listNames(daemon.quarantine).isEmpty)
            #expect(try await daemon.stop() == 0)
        }
    }

    /// Files without a `session` whose derived names would be one (`ep?` and `ep*` both `ep-`; `café` in NFC
    /// and NFD) get a session each; a publish that replaces a session made from another file says so, naming
    /// both. Before: the second of each pair silently replaced the first.
    @Test func derivedSessionNamesAreUniquePerFileAndReplacementsAreSaid() async throws {
        try await withTemporaryDirectory { root in
            try FileSystem.makeDirectories(root + "/inbox")
            try writeFile(root + "/inbox/ep?.json", bareManifest())
            try writeFile(root + "/inbox/ep*.json", bareManifest())
            try writeRaw(root + "/inbox/", Self.nfcCafe + Array(".json".utf8), bareManifest())
            try writeRaw(root + "/inbox/", Self.nfdCafe + Array(".json".utf8), bareManifest())
            let daemon = try await WatchDaemon.start(root)
            // Names from `printf %s 'ep?.json' | sha256sum` (the README says how they are made).
            let sessions = try await waitForSessions(daemon.outbox, count: 4)
            #expect(sessions.map(\.name) == ["caf-a44a67ee", "caf-e1f9ee3f", "ep-8f10acdb", "ep-ee1f37f5"])
            #expect(jsonObject(daemon.outbox + "/ep-8f10acdb/session.json")?["source"] as? String == "ep?.json")

            // Two files naming one session: the second replaces the first, and the log says whose it was.
            try dropFile(daemon.inbox + "/take-one.json", manifestJSON(session: "shared"))
            try await waitForSessions(daemon.outbox, count: 5)
            try dropFile(daemon.inbox + "/take-two.json", manifestJSON(session: "shared", scenes: 2))
            try await daemon.waitUntil("the replacement") {
                jsonObject(daemon.outbox + "/shared/session.json")?["source"] as? String == "take-two.json"
            }
            let said = daemon.process.logRecords(.sessionReplacedFromAnotherFile)
            #expect(said.count == 1)
            #expect(
                said.first?["scenedrop.file"] == "take-two.json"
                    && said.first?["scenedrop.replaced_file"] == "take-one.json"
            )
            // A re-drop of the same file replaces its own session without that warning.
            try dropFile(daemon.inbox + "/take-two.json", manifestJSON(session: "shared", scenes: 3))
            try await daemon.waitUntil("the re-drop") { daemon.publishes.filter { $0 == "shared" }.count == 3 }
            #expect(daemon.process.logRecords(.sessionReplacedFromAnotherFile).count == 1)
            #expect(try await daemon.stop() == 0)
        }
    }

    /// Twenty rounds of two drops of one session, the second 50 ms after the first. The (fake) API answers the
    /// first drop's requests 600 ms late, so the older drop always finishes last: the outbox must keep the second,
    /// every round. Before: whichever finished last was published last, so the older drop replaced the newer.
    @Test func theLastDropOfASessionWins() async throws {
        let emulator = GeminiEmulator { call in
            GeminiEmulator.image(
                GeminiEndToEndTests.jpeg,
                mimeType: "image/jpeg",
                delay: call.prompt.contains("older drop") ? .milliseconds(600) : .zero
            )
        }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let environment = [
                    "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                ]
                let daemon = try await WatchDaemon.start(root, ["--max-sessions", "8"], environment: environment)
                let rounds = 20
                for round in 1...rounds {
                    // Prompts differ by round: the image cache must not answer a later round's requests.
                    try dropFile(
                        daemon.inbox + "/v1-\(round).json",
                        manifestJSON(session: "round-\(round)", scenes: 2, prompt: "older drop \(round)")
                    )
                    // The drops' timing is the case under test, not a wait.
                    try await Task.sleep(for: .milliseconds(50))
                    try dropFile(
                        daemon.inbox + "/v2-\(round).json",
                        manifestJSON(session: "round-\(round)", prompt: "newer drop \(round)")
                    )
                }
                try await daemon.waitUntil("every drop ended", timeout: .seconds(180)) {
                    listNames(daemon.inbox).isEmpty && claimsInWork(root) == 0
                        && listNames(daemon.outbox).count == rounds
                }
                let superseded = Set(
                    daemon.process.logRecords(.dropSuperseded)
                        .compactMap { $0["scenedrop.file"] }
                )
                let published = Set(daemon.process.logRecords(.sessionPublished).compactMap { $0["scenedrop.file"] })
                for round in 1...rounds {
                    let source = jsonObject(daemon.outbox + "/round-\(round)/session.json")?["source"] as? String
                    #expect(source == "v2-\(round).json", "round \(round): the outbox keeps the newer drop")
                    // The older drop either published first and was replaced, or was superseded: never both, never neither.
                    #expect(
                        published.contains("v1-\(round).json") != superseded.contains("v1-\(round).json"),
                        "round \(round)"
                    )
                }
                #expect(!superseded.isEmpty, "the slow older drops finish last, so some were superseded")
                #expect(listNames(daemon.quarantine).isEmpty)
                #expect(try await daemon.stop() == 0)
            }
        }
    }

    /// Two drops of one session found by one rescan (`scenedrop process`) are taken oldest mtime first, so the
    /// newer file wins even when its name sorts first and the older one is slower. Before: they were claimed
    /// in name order and the slower, older one replaced the newer.
    @Test func oneRescanTakesTwoDropsOldestFirst() async throws {
        try await withTemporaryDirectory { root in
            try writeFile(root + "/inbox/a-newer.json", manifestJSON(session: "by-mtime"))
            try writeFile(
                root + "/inbox/z-older.json",
                manifestJSON(session: "by-mtime", scenes: 4, width: 1280, height: 720)
            )
            let older = Int(Date().timeIntervalSince1970) - 60
            #expect(try ChildProcess.run("touch", ["-m", "-d", "@\(older)", root + "/inbox/z-older.json"]) == 0)
            let result = try await SceneDropProcess.run(
                ["process", "--root", root, "--settle", "0s"],
                logDirectory: root
            )
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            #expect(jsonObject(root + "/outbox/by-mtime/session.json")?["source"] as? String == "a-newer.json")
            #expect(listNames(root + "/inbox").isEmpty && claimsInWork(root) == 0)
        }
    }

    /// A manifest without a `session`: its name comes from the file's.
    func bareManifest() -> [UInt8] {
        Array(
            #"{"width": 320, "height": 180, "scenes": [{"scene_number": 1, "image_create_prompt": "A test scene"}]}"#
                .utf8
        )
    }

    /// Writes a file whose name is `name`'s bytes exactly (not UTF-8, or a given normal form), in `folder`.
    func writeRaw(_ folder: String, _ name: [UInt8], _ bytes: [UInt8]) throws {
        let path = (Array(folder.utf8) + name).map { CChar(bitPattern: $0) } + [0]
        let fd = path.withUnsafeBufferPointer { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw SystemError.current("open", folder + String(decoding: name, as: UTF8.self)) }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw SystemError.current("write", folder) }
    }
}
