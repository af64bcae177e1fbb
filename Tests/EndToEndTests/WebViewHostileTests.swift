import FakeGemini
import Foundation
import Imaging
import SystemSupport
import TestSupport
import Testing

/// The web view against hostile input and hostile clients (issue 9): markup in prompts and file
/// names, traversal in every spelling, planted links, and clients that are slow or never read.
@Suite struct WebViewHostileTests {
    static let jpeg = try! PlaceholderCard(
        sceneNumber: 1,
        prompt: "fake API image",
        style: "photorealistic",
        width: 1376,
        height: 768,
        format: .jpeg
    ).render()
    static let promptJSON = #"<script>alert('p')</script>\"><img src=x onerror=alert(2)>"#
    static let prompt = #"<script>alert('p')</script>"><img src=x onerror=alert(2)>"#
    static let fileName = #""><img src=x onerror=alert(1)>.json"#

    @Test func markupFromManifestsIsTextInThePageAndInTheEvents() async throws {
        // Answers take 2 s, so the session is in flight while the events are read.
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg", delay: .seconds(2))
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
                try dropFile(
                    root + "/inbox/" + Self.fileName,
                    """
                    {"session": "hostile", "scenes": [{"scene_number": 1, "image_create_prompt": "\(Self.promptJSON)"}]}
                    """
                )
                try dropFile(root + "/inbox/<svg onload=alert(3)>.json", "{\"session\": ")
                try await events.read { String(decoding: $0, as: UTF8.self).contains("requesting") }
                let stream = events.received
                #expect(
                    stream.contains(#"\u003e\u003cimg src=x onerror=alert(1)\u003e.json"#),
                    "the file name, escaped, in the events"
                )
                #expect(!stream.contains("<img") && !stream.contains("<svg") && !stream.contains("<script"))

                try await waitForSessions(root + "/outbox", count: 1, timeout: .seconds(60))
                try await web.daemon.waitUntil("the broken manifest in quarantine") {
                    FileSystem.exists(root + "/quarantine/<svg onload=alert(3)>.json")
                }
                for target in ["/", "/fragments/sessions", "/fragments/quarantine"] {
                    let page = try await web.get(target).text
                    #expect(
                        !page.contains("<script>alert") && !page.contains("<img src=x") && !page.contains("<svg"),
                        "\(target)"
                    )
                }
                let page = try await web.get("/").text
                #expect(
                    page.contains(
                        "&lt;script&gt;alert(&#39;p&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"
                    ),
                    "the prompt, as text"
                )
                #expect(page.contains("&lt;svg onload=alert(3)&gt;.json"), "the quarantined file's name, as text")
                #expect(
                    page.contains("href=\"/quarantine/%3Csvg%20onload%3Dalert%283%29%3E.json\""),
                    "its link, percent-encoded"
                )
                #expect(
                    try await web.get("/quarantine/%3Csvg%20onload%3Dalert%283%29%3E.json").headers["content-type"]
                        == "text/plain; charset=utf-8"
                )
                // The request went to the fake API once, answered 200: counted by model and status class.
                let samples = try await parsePrometheus(try await web.get("/metrics").text, in: root)
                let model = try #require(
                    server.generateRequests.first.flatMap {
                        $0.path.split(separator: "/").last?.split(separator: ":").first
                    }
                )
                #expect(
                    samples["scenedrop_provider_requests_total{model=\"\(model)\",status_class=\"2xx\"}"] == 1,
                    "\(samples.keys.sorted())"
                )
                #expect(samples["scenedrop_provider_request_duration_seconds_count{model=\"\(model)\"}"] == 1)
                #expect(
                    samples["scenedrop_scenes_total{fallback_reason=\"none\",provider=\"gemini\",status=\"generated\"}"]
                        == 1
                )
                #expect((samples["scenedrop_cost_usd_total"] ?? 0) > 0)
                #expect(try await web.daemon.stop() == 0)
            }
        }
    }

    @Test func traversalAndPlantedLinksServeNothingOutsideTheFolders() async throws {
        try await withTemporaryDirectory { root in
            let web = try await WebDaemon.start(root)
            try dropFile(root + "/inbox/s1.json", manifestJSON(session: "s1", scenes: 2))
            try dropFile(root + "/inbox/bad.json", "{")
            try await waitForSessions(root + "/outbox", count: 1)
            try await web.daemon.waitUntil("bad.json in quarantine") {
                FileSystem.exists(root + "/quarantine/bad.json.error.json")
            }
            let outside = root + "/outside-secret.txt"
            try writeFile(outside, "root:x:0:0:SECRET-OUTSIDE\n")
            // Planted links: a listed file, a preview, a whole session folder, and a quarantine entry.
            try FileSystem.unlinkFile(root + "/outbox/s1/scene-002.json")
            #expect(symlink(outside, root + "/outbox/s1/scene-002.json") == 0)
            try FileSystem.unlinkFile(root + "/outbox/s1/.thumbs/scene-001.jpg")
            #expect(symlink(outside, root + "/outbox/s1/.thumbs/scene-001.jpg") == 0)
            #expect(symlink(root + "/outbox/s1", root + "/outbox/linked") == 0)
            #expect(symlink(outside, root + "/quarantine/planted.json") == 0)

            let attempts = [
                "/sessions/../../../../etc/passwd", "/sessions/s1/../../../../etc/passwd",
                "/sessions/s1/..%2f..%2f..%2foutside-secret.txt",
                "/sessions/%2e%2e/%2e%2e%2foutside-secret.txt", "/sessions/s1/%2e%2e%2f%2e%2e%2foutside-secret.txt",
                "/sessions/s1/%2fetc%2fpasswd",
                "/sessions/s1/" + (outside.replacingOccurrences(of: "/", with: "%2F")), "/sessions/s1/scene-002.json",
                "/sessions/linked/session.json",
                "/sessions/linked/scene-001.png", "/sessions/s1/.thumbs",
                "/sessions/s1/thumbs/..%2f..%2f..%2foutside-secret.txt",
                "/sessions/s1/thumbs/%2e%2e", "/sessions/.staging/x", "/quarantine/planted.json",
                "/quarantine/..%2f.scenedrop%2fwork",
                "/quarantine/%2e%2e%2foutbox%2fs1%2fsession.json", "/sessions/s1/manifest.json%00.png",
                "/sessions/s1/%ZZ",
                "/quarantine/../outside-secret.txt", "//etc/passwd", "/sessions/s1/thumbs/scene-002.json",
            ]
            for target in attempts {
                let answer = try await web.get(target)
                #expect(answer.status == 404, "\(target): \(answer.status)")
                #expect(!answer.text.contains("SECRET-OUTSIDE") && !answer.text.contains("root:x:0"), "\(target)")
            }
            // The planted preview link is not followed; the preview is made again from the image instead.
            let preview = try await web.get("/sessions/s1/thumbs/scene-001.png")
            #expect(preview.status == 200 && (try? ImageInspector.inspect(preview.body).format) == .jpeg)
            #expect(!preview.text.contains("SECRET-OUTSIDE"))
            #expect(try await web.get("/sessions/s1/scene-001.json").status == 200, "the real files are still served")
            // A NUL in a requeued name would end it at the system call: `bad.json%00.txt` used to requeue bad.json and
            // leave its report orphaned. It names nothing: 404, and bad.json stays in quarantine with its report.
            for target in [
                "/quarantine/bad.json%00.txt/requeue", "/quarantine/bad.json%00/requeue", "/quarantine/%00/requeue",
            ] {
                let answer = try await web.post(target, headers: ["X-SceneDrop-Action": "requeue"])
                #expect(answer.status == 404, "\(target): \(answer.status) \(answer.text)")
            }
            #expect(try await web.get("/quarantine/bad.json%00.txt").status == 404)
            #expect(
                FileSystem.exists(root + "/quarantine/bad.json")
                    && FileSystem.exists(root + "/quarantine/bad.json.error.json")
            )
            #expect(!FileSystem.exists(root + "/inbox/bad.json"))
            #expect(try await web.daemon.stop() == 0)
        }
    }

    /// Numbers the page prints come from files anyone with write access to the root can change: a session.json
    /// rewritten by a downstream tool, a ledger line from another host. Printing 1e300 dollars (or an infinite sum:
    /// two lines of 1e308) used to convert it to an Int, a trap that ended the daemon at every page load. Now the
    /// page says the number and the daemon goes on.
    @Test func absurdNumbersInFilesAreShownNotTrappedOn() async throws {
        try await withTemporaryDirectory { root in
            let web = try await WebDaemon.start(root)
            try dropFile(root + "/inbox/big.json", manifestJSON(session: "big"))
            try await waitForSessions(root + "/outbox", count: 1)
            let metadata = root + "/outbox/big/session.json"
            let edited = try #require(readText(metadata)).replacingOccurrences(
                of: "\"cost_usd\": 0",
                with: "\"cost_usd\": 1e300"
            )
            #expect(edited.contains("1e300"), "the test rewrote the session's cost")
            try writeFile(metadata, edited)
            let today = WallClock.rfc3339(WallClock.now())
            let line = #"{"time": "\#(today)", "model": "m", "cost_usd": 1e308, "session": "x", "scene": 1}"# + "\n"
            try writeFile(root + "/.scenedrop/ledger/another-host.jsonl", line + line)
            // The page's spend is read at most once a second: a fresh read after the ledger changed.
            try await Task.sleep(for: .milliseconds(1100))  // the cache's own second, not a wait for a condition
            let page = try await web.get("/")
            #expect(page.status == 200)
            #expect(page.text.contains("Spent today (UTC): <b>$inf</b>"), "\(page.text.prefix(2000))")
            #expect(page.text.contains("$1e+300"), "the session's cost, as it is written")
            #expect(try await web.get("/fragments/sessions").status == 200)
            let events = try await web.events()
            #expect(
                events.received.contains(#""spent_today_usd":"inf""#),
                "the live state says it too, not {}: \(events.received.prefix(600))"
            )
            #expect(web.daemon.process.isRunning, "the daemon is alive after the page loads")
            #expect(try await web.daemon.stop() == 0)
        }
    }

    @Test func slowAndSilentClientsHoldUpNothing() async throws {
        try await withTemporaryDirectory { root in
            let web = try await WebDaemon.start(root, ["--shutdown-grace", "120s"])
            // Requests that never finish arriving, and event streams that are never read.
            var stalled: [RawHTTPConnection] = []
            for _ in 0..<40 {
                let connection = try RawHTTPConnection(port: web.port)
                try connection.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                stalled.append(connection)
            }
            for _ in 0..<5 {
                let connection = try RawHTTPConnection(port: web.port)
                connection.shrinkReceiveBuffer()
                try connection.send("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                stalled.append(connection)
            }
            for index in 1...6 {
                try dropFile(root + "/inbox/m\(index).json", manifestJSON(session: "m\(index)", scenes: 3))
            }
            try await waitForSessions(root + "/outbox", count: 6)
            let page = try await web.get("/")
            #expect(page.status == 200 && page.text.contains("<h3>m6</h3>"))
            let events = try await web.events()
            try await events.read { String(decoding: $0, as: UTF8.self).contains("\"published\":6") }
            // Graceful shutdown ends the event streams: the daemon does not wait out its 120 s grace for them.
            web.daemon.process.signal(SIGTERM)
            #expect(try await web.daemon.process.waitForExit(timeout: .seconds(60)) == 0)
            withExtendedLifetime(stalled) {}
        }
    }
}
