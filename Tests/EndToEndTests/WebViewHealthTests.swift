import FakeGemini
import Foundation
import Imaging
import SystemSupport
import TestSupport
import Testing

/// `/readyz` and the previews of sessions published before previews existed (issue 9).
@Suite struct WebViewHealthTests {
    @Test(.enabled(if: canMakeFoldersReadOnly, "needs a read-only bind mount (root without mount rights)"))
    func readyzNamesAFolderThatCannotBeWritten() async throws {
        try await withTemporaryDirectory { root in
            let web = try await WebDaemon.start(root)
            #expect(try await web.get("/readyz").status == 200)
            try await whileReadOnly(root + "/quarantine") {
                let answer = try await web.get("/readyz")
                #expect(answer.status == 503)
                #expect(answer.text.contains("the quarantine (\(root)/quarantine) is not writable"), "\(answer.text)")
                #expect(try await web.get("/healthz").status == 200, "the process still runs")
            }
            #expect(try await web.get("/readyz").status == 200)
            #expect(try await web.daemon.stop() == 0)
        }
    }

    @Test func whileSessionsFinishAtShutdownReadyzSaysSoAndThePageStaysUp() async throws {
        let jpeg = try PlaceholderCard(
            sceneNumber: 1,
            prompt: "slow",
            style: "photorealistic",
            width: 1376,
            height: 768,
            format: .jpeg
        ).render()
        // The answer is held until the probes are done: a loaded machine could otherwise finish the session,
        // and the daemon, before a starved test looks (a 15 s delay once did not hold).
        let gate = Gate()
        let emulator = GeminiEmulator { _ in
            var answer = GeminiEmulator.image(jpeg, mimeType: "image/jpeg")
            answer.heldBy = gate
            return answer
        }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let web = try await WebDaemon.start(
                    root,
                    environment: [
                        "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                    ]
                )
                let events = try await web.events()
                try dropFile(root + "/inbox/slow.json", manifestJSON(session: "slow", scenes: 1))
                try await events.read { String(decoding: $0, as: UTF8.self).contains("requesting") }
                web.daemon.process.signal(SIGTERM)
                try await web.daemon.waitForLog(.stoppingForSessionsInFlight)
                let ready = try await web.get("/readyz")
                #expect(ready.status == 503 && ready.text.contains("shutting down"), "\(ready.status) \(ready.text)")
                #expect(try await web.get("/").status == 200, "the page stays up while the session finishes")
                gate.release()
                #expect(try await web.daemon.process.waitForExit(timeout: .seconds(60)) == 0)
                #expect(
                    try publishedSessions(root + "/outbox").map(\.name) == ["slow"],
                    "the session in flight finished"
                )
            }
        }
    }

    @Test func sessionsFromBeforePreviewsGetThemOnFirstViewWithoutTouchingTheOutbox() async throws {
        try await withTemporaryDirectory { root in
            let web = try await WebDaemon.start(root)
            try dropFile(root + "/inbox/old.json", manifestJSON(session: "old", scenes: 1, width: 1280, height: 720))
            let session = try #require(try await waitForSessions(root + "/outbox", count: 1).first)
            // Make it look like a session published before previews: no .thumbs/, no thumbnail in session.json.
            try FileSystem.removeTree(session.path + "/.thumbs")
            let json = String(decoding: readFile(session.path + "/session.json") ?? [], as: UTF8.self)
            let stripped = json.replacingOccurrences(
                of: #""thumbnail": \{[^}]*\}"#,
                with: "\"thumbnail\": null",
                options: .regularExpression
            )
            #expect(stripped != json)
            try writeFile(session.path + "/session.json", stripped)
            let before = listNames(session.path, hidden: true)

            let page = try await web.get("/").text
            #expect(page.contains("src=\"/sessions/old/thumbs/scene-001.png\""))
            let preview = try await web.get("/sessions/old/thumbs/scene-001.png")
            #expect(preview.status == 200)
            let info = try ImageInspector.inspect(preview.body)
            #expect(info.format == .jpeg && info.width == 320 && info.height == 180)
            #expect(listNames(session.path, hidden: true) == before, "a published session is never written to")
            #expect(listNames(root + "/.scenedrop/cache/previews").count == 1, "kept in the cache, by image hash")
            #expect(try await web.get("/sessions/old/thumbs/scene-001.png").body == preview.body)
            #expect(try await web.daemon.stop() == 0)
        }
    }

    /// What the README's first command shows a newcomer: the sample sessions, the invalid samples with
    /// their reasons, and Requeue taking one back.
    @Test func theReadmeDemoShowsTheSamplesAndTheInvalidOnesWithTheirReasons() async throws {
        try await withTemporaryDirectory { root in
            let samples = packageRoot + "/samples"
            let valid = listNames(samples).filter { $0.hasSuffix(".json") }
            let invalid = listNames(samples + "/invalid").filter { $0.hasSuffix(".json") }
            try FileSystem.makeDirectories(root + "/inbox")
            // `cp -r samples/references demo/`: the library the barista sample names.
            for folder in listNames(samples + "/references") {
                for file in listNames(samples + "/references/" + folder) {
                    try writeFile(
                        root + "/references/" + folder + "/" + file,
                        readFile(samples + "/references/" + folder + "/" + file) ?? []
                    )
                }
            }
            for name in valid { try writeFile(root + "/inbox/" + name, readFile(samples + "/" + name) ?? []) }
            for name in invalid { try writeFile(root + "/inbox/" + name, readFile(samples + "/invalid/" + name) ?? []) }
            let web = try await WebDaemon.start(root)
            let sessions = try await waitForSessions(root + "/outbox", count: valid.count)
            try await web.daemon.waitUntil("every invalid sample in quarantine") {
                invalid.allSatisfy { FileSystem.exists(root + "/quarantine/" + $0 + ".error.json") }
            }
            let page = try await web.get("/").text
            for session in sessions { #expect(page.contains("<h3>\(session.name)</h3>"), "\(session.name)") }
            #expect(page.contains("src=\"/sessions/ep43-the-barista/references/mika\""), "the sample's references")
            for name in invalid {
                #expect(page.contains("data-requeue=\"\(name)\""), "\(name)")
                let report = try #require(readFile(root + "/quarantine/" + name + ".error.json"))
                let reason = try #require(
                    (try JSONSerialization.jsonObject(with: Data(report)) as? [String: Any])?["reason"] as? String
                )
                #expect(page.contains("<code class=\"reason\">\(reason)</code>"), "\(name): \(reason)")
            }
            let first = try #require(invalid.sorted().first)
            #expect(
                try await web.post("/quarantine/\(first)/requeue", headers: ["X-SceneDrop-Action": "requeue"]).status
                    == 200
            )
            try await web.daemon.waitForLog(.manifestClaimed, count: 2) { $0["scenedrop.file"] == first }
            #expect(try await web.daemon.stop() == 0)
        }
    }
}
