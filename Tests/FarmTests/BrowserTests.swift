import FakeGemini
import Foundation
import Imaging
import SystemSupport
import TestSupport
import Testing

/// Whether a real browser can run here: Debian's chromium and Python's websocket-client (the
/// DevTools protocol driver). `.ci/setup test` installs both under CI=true (or SCENEDROP_BROWSER_TESTS=1).
let browserAvailable: Bool = {
    guard (try? Tool.path("chromium")) != nil, (try? Tool.path("python3")) != nil else { return false }
    return (try? ChildProcess.run("python3", ["-c", "import websocket"])) == 0
}()

/// The page in headless Chromium (issue 9): it connects its event stream, shows a session in flight
/// and then the published session with its previews, all without a reload.
@Suite struct BrowserTests {
    @Test(
        .enabled(
            if: browserAvailable,
            "chromium or python3's websocket-client is missing: CI=true .ci/setup test installs them"
        )
    )
    func livePageShowsProgressAndTheNewSessionWithoutAReload() async throws {
        let jpeg = try PlaceholderCard(
            sceneNumber: 1,
            prompt: "from the fake API",
            style: "photorealistic",
            width: 1376,
            height: 768,
            format: .jpeg
        ).render()
        // Two seconds an answer: long enough for the page to show the session in flight.
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(jpeg, mimeType: "image/jpeg", delay: .seconds(2)) }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                let web = try await WebDaemon.start(
                    root,
                    environment: [
                        "SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey,
                    ]
                )
                let screenshot = root + "/page.png"
                let driver = try ChildProcess(
                    "python3",
                    [
                        packageRoot + "/Tests/Browser/live_page.py", "http://127.0.0.1:\(web.port)/", "browser-live",
                        screenshot,
                    ],
                    stdout: .file(root + "/driver.out"),
                    stderr: .file(root + "/driver.err")
                )
                func output() -> String { String(decoding: readFile(root + "/driver.out") ?? [], as: UTF8.self) }
                try await waitUntil("the page's event stream live in Chromium", timeout: .seconds(90)) {
                    guard driver.isRunning || output().contains("LIVE") else {
                        throw DriverFailed(
                            output: output() + String(decoding: readFile(root + "/driver.err") ?? [], as: UTF8.self)
                        )
                    }
                    return output().contains("LIVE")
                }
                // Dropped only after the page is open: whatever it shows of it came through the events.
                try dropFile(
                    root + "/inbox/browser-live.json",
                    manifestJSON(session: "browser-live", scenes: 2, width: 1280, height: 720)
                )
                #expect(try await driver.wait(timeout: .seconds(180)) == 0, "\(output())")
                let line = try #require(output().split(separator: "\n").last.map(String.init))
                let seen = try #require(
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    "\(line)"
                )
                #expect(seen["saw_in_flight"] as? Bool == true, "the session in flight was never shown: \(line)")
                #expect(seen["marker"] as? String == "same page", "the page was reloaded")
                #expect((seen["sessions"] as? String)?.contains("browser-live") == true)
                #expect(seen["images"] as? Int == 2, "a preview per scene")
                let picture = try #require(readFile(screenshot))
                let info = try ImageInspector.inspect(picture)
                #expect(
                    info.format == .png && info.width == 1280 && picture.count > 20_000,
                    "\(String(describing: info)) \(picture.count) bytes"
                )
                print("browser: page load \(seen["load_ms"] ?? "?") ms; in flight seen: \(seen["queue_seen"] ?? [])")
                #expect(try await web.daemon.stop() == 0)
            }
        }
    }
}

struct DriverFailed: Error, CustomStringConvertible {
    var output: String
    var description: String { "the browser driver ended early: \(output)" }
}
