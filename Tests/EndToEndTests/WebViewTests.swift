import Foundation
import Imaging
import SystemSupport
import TestSupport
import Testing

/// The web view through the built binary on a real port (issue 9): the page, its previews, Requeue,
/// the token, `/metrics` through a real Prometheus parser, and the health checks.
@Suite struct WebViewTests {
    @Test func pageListsSessionsWithPreviewsAndQuarantineAndRequeueMovesBack() async throws {
        try await withTemporaryDirectory { root in
            let web = try await WebDaemon.start(root)
            try dropFile(root + "/inbox/ep1.json", manifestJSON(session: "ep1", scenes: 2, width: 640, height: 360))
            try dropFile(root + "/inbox/broken.json", "{\"session\": \"broken\", \"scenes\": [")
            let session = try #require(try await waitForSessions(root + "/outbox", count: 1).first)
            try await web.daemon.waitUntil("broken.json in quarantine") {
                FileSystem.exists(root + "/quarantine/broken.json.error.json")
            }

            let page = try await web.get("/")
            #expect(page.status == 200)
            #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("<h3>ep1</h3>"))
            #expect(
                page.text.contains("broken.json") && page.text.contains("invalid_json"),
                "the quarantined manifest and its reason"
            )
            #expect(page.text.contains("data-requeue=\"broken.json\""))
            #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)

            // Every scene's preview: listed in session.json, linked from the page, a JPEG of the listed size.
            for entry in session.sceneEntries {
                let image = try #require(entry["image"] as? String)
                let thumbnail = try #require(entry["thumbnail"] as? [String: Any])
                let link = "/sessions/ep1/thumbs/\(image)"
                #expect(page.text.contains("src=\"\(link)\""))
                let answer = try await web.get(link)
                #expect(answer.status == 200 && answer.headers["content-type"] == "image/jpeg")
                let info = try ImageInspector.inspect(answer.body)
                #expect(info.format == .jpeg)
                #expect(info.width == thumbnail["width"] as? Int && info.height == thumbnail["height"] as? Int)
                #expect(info.width == 320 && info.height == 180)
                let full = try await web.get("/sessions/ep1/\(image)")
                #expect(full.status == 200 && full.body == readFile(session.path + "/" + image))
            }
            #expect(try await web.get("/sessions/ep1/scene-001.json").status == 200)
            #expect(
                try await web.get("/quarantine/broken.json.error.json").text.contains("\"reason\": \"invalid_json\"")
            )

            // Requeue: back in the inbox, taken again (and, still broken, quarantined again).
            let requeue = try await web.post(
                "/quarantine/broken.json/requeue",
                headers: ["X-SceneDrop-Action": "requeue"]
            )
            #expect(
                requeue.status == 200 && requeue.text.contains("\"requeued\":\"broken.json\""),
                "\(requeue.status) \(requeue.text)"
            )
            try await web.daemon.waitUntil("broken.json claimed again and quarantined again") {
                web.daemon.process.logRecords(.manifestClaimed).filter { $0["scenedrop.file"] == "broken.json" }.count
                    == 2
                    && web.daemon.process.logRecords(.manifestQuarantined).count == 2
            }
            #expect(
                try await web.post("/quarantine/nothing.json/requeue", headers: ["X-SceneDrop-Action": "requeue"])
                    .status == 404
            )
            #expect(
                try await web.post("/quarantine/broken.json/requeue").status == 403,
                "a POST without the page's header (a cross-site form) does nothing"
            )

            // /metrics through prometheus_client's parser: the counters say what the run did.
            let metrics = try await web.get("/metrics")
            #expect(
                metrics.status == 200 && metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true
            )
            let samples = try await parsePrometheus(metrics.text, in: root)
            #expect(samples["scenedrop_manifests_published_total"] == 1)
            #expect(samples["scenedrop_manifests_claimed_total"] == 3)
            #expect(samples["scenedrop_manifests_quarantined_total{reason=\"invalid_json\"}"] == 2)
            #expect(samples["scenedrop_manifests_handed_back_total"] == 0)
            #expect(
                samples[
                    "scenedrop_scenes_total{fallback_reason=\"no_api_key\",provider=\"placeholder\",status=\"fallback\"}"
                ] == 2
            )
            #expect(samples["scenedrop_session_duration_seconds_count"] == 1)
            #expect(samples["scenedrop_drop_to_publish_seconds_count"] == 1)
            #expect(samples["scenedrop_cost_usd_total"] == 0)
            #expect((samples["scenedrop_rescans_total"] ?? 0) >= 1)
            #expect(samples["scenedrop_sessions_in_flight"] == 0)
            #expect(
                samples.keys.contains("scenedrop_inotify_overflows_total")
                    && samples.keys.contains("scenedrop_inbox_files")
            )

            #expect(try await web.get("/healthz").text == "ok\n")
            let ready = try await web.get("/readyz")
            #expect(ready.status == 200 && ready.text == "ready\n")
            let url = try await SceneDropProcess.run(["status", "--root", root, "--http"], logDirectory: root)
            #expect(url.status == 0 && url.stdout == "http://127.0.0.1:\(web.port)/\n", "\(url.stdout) \(url.stderr)")
            #expect(try await web.daemon.stop() == 0)
            #expect(!FileSystem.exists(root + "/.scenedrop/http.json"), "the address record goes with the daemon")
        }
    }

    @Test func beyondLoopbackEveryRequestNeedsTheToken() async throws {
        try await withTemporaryDirectory { root in
            let token = "t0ken-" + String(UInt64.random(in: 1...UInt64.max), radix: 16) + "-abcdef"
            try writeFile(root + "/token", token + "\n")
            let web = try await WebDaemon.start(root, address: "0.0.0.0:0", ["--http-token-file", root + "/token"])
            try dropFile(root + "/inbox/broken.json", "{")
            try await web.daemon.waitUntil("broken.json in quarantine") {
                FileSystem.exists(root + "/quarantine/broken.json.error.json")
            }

            #expect(try await web.get("/").status == 401)
            #expect(try await web.get("/metrics").status == 401)
            #expect(try await web.get("/events").status == 401)
            #expect(try await web.get("/quarantine/broken.json").status == 401)
            #expect(try await web.get("/?token=wrong-wrong-wrong-wrong").status == 401)
            let refused = try await web.post(
                "/quarantine/broken.json/requeue",
                headers: ["X-SceneDrop-Action": "requeue"]
            )
            #expect(refused.status == 401)
            #expect(FileSystem.exists(root + "/quarantine/broken.json"), "a refused mutation changes nothing")
            #expect(try await web.get("/healthz").status == 200, "probes need no secret")

            let traded = try await web.get("/?token=\(token)")
            #expect(traded.status == 303 && traded.headers["location"] == "/")
            let cookie = try #require(traded.headers["set-cookie"])
            #expect(
                cookie.hasPrefix("scenedrop_token=\(token)") && cookie.contains("HttpOnly")
                    && cookie.contains("SameSite=Strict"),
                "\(cookie)"
            )
            #expect(try await web.get("/", headers: ["Cookie": "scenedrop_token=\(token)"]).status == 200)
            #expect(try await web.get("/metrics", headers: ["Authorization": "Bearer \(token)"]).status == 200)
            let requeued = try await web.post(
                "/quarantine/broken.json/requeue",
                headers: ["X-SceneDrop-Action": "requeue", "X-SceneDrop-Token": token]
            )
            #expect(requeued.status == 200)
            try await web.daemon.waitForLog(.manifestClaimed, count: 2) { $0["scenedrop.file"] == "broken.json" }

            let url = try await SceneDropProcess.run(["status", "--root", root, "--http"], logDirectory: root)
            #expect(url.status == 0 && url.stdout.hasSuffix(":\(web.port)/?token=\(token)\n"), "\(url.stdout)")

            // A second daemon on the same port says so and stops, instead of running without its page.
            let second = try await SceneDropProcess.run(
                ["watch", "--root", root + "/second", "--http", "127.0.0.1:\(web.port)"],
                logDirectory: root,
                timeout: .seconds(60)
            )
            #expect(
                second.status == 1 && second.stderr.contains("--http 127.0.0.1:\(web.port): cannot listen"),
                "\(second.stderr)"
            )
            #expect(try await web.daemon.stop() == 0)
        }
    }

    @Test func refusesToListenBeyondLoopbackWithoutAToken() async throws {
        try await withTemporaryDirectory { root in
            let open = try await SceneDropProcess.run(
                ["watch", "--root", root, "--http", "0.0.0.0:0"],
                logDirectory: root
            )
            #expect(open.status != 0 && open.stderr.contains("--http-token-file"), "\(open.stderr)")
            try writeFile(root + "/short", "abc\n")
            let short = try await SceneDropProcess.run(
                ["watch", "--root", root, "--http", "0.0.0.0:0", "--http-token-file", root + "/short"],
                logDirectory: root
            )
            #expect(short.status != 0 && short.stderr.contains("at least 16"), "\(short.stderr)")
            let bad = try await SceneDropProcess.run(
                ["watch", "--root", root, "--http", "localhost"],
                logDirectory: root
            )
            #expect(bad.status != 0 && bad.stderr.contains("expected ADDR:PORT"), "\(bad.stderr)")
            #expect(listNames(root + "/inbox").isEmpty && !FileSystem.exists(root + "/outbox"), "nothing started")
        }
    }
}
