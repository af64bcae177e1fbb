import Foundation
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The web view holds its ground (issue 20, points 15–17): DNS rebinding, cross-site requests, a flood of idle
/// connections and ambiguous framing, each through the built binary on a real port.
@Suite struct WebViewBoundaryTests {
    /// One raw request on its own connection, exactly as written, and what came back (empty: closed unanswered).
    func raw(_ port: Int, _ request: String) async throws -> (answer: RawHTTP.Answer?, closed: Bool) {
        let connection = try RawHTTPConnection(port: port)
        try connection.send(request)
        let bytes = try await connection.read()
        return (bytes.isEmpty ? nil : try RawHTTP.parse(bytes), true)
    }

    /// The page's Requeue of broken.json, as a browser sends it, with this `Host` and `Origin`.
    func requeue(_ port: Int, host: String, origin: String) async throws -> (answer: RawHTTP.Answer?, closed: Bool) {
        try await raw(
            port,
            "POST /quarantine/broken.json/requeue HTTP/1.1\r\nHost: \(host)\r\nOrigin: \(origin)\r\n"
                + "X-SceneDrop-Action: requeue\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    }

    /// A web daemon on `root` with broken.json in its quarantine.
    func webDaemonWithAQuarantinedFile(_ root: String) async throws -> WebDaemon {
        let web = try await WebDaemon.start(root)
        try dropFile(root + "/inbox/broken.json", "{\"session\": \"broken\", \"scenes\": [")
        try await web.daemon.waitUntil("broken.json in quarantine") {
            FileSystem.exists(root + "/quarantine/broken.json.error.json")
        }
        return web
    }

    /// A page on another name that the attacker makes resolve to 127.0.0.1 sends its own name as `Host`: a
    /// loopback bind without a token answers nothing to it (421), not the page, not a quarantined file, not a
    /// requeue. A state-changing request whose `Origin` is another site is refused (403) whatever its `Host`.
    @Test func dnsRebindingAndForeignOriginsAreRefused() async throws {
        try await withTemporaryDirectory { root in
            let web = try await webDaemonWithAQuarantinedFile(root)
            let port = web.port

            for target in ["/", "/quarantine/broken.json", "/api/live", "/metrics"] {
                let (answer, _) = try await raw(
                    port,
                    "GET \(target) HTTP/1.1\r\nHost: evil.example:\(port)\r\nConnection: close\r\n\r\n"
                )
                #expect(answer?.status == 421, "\(target): \(answer?.status ?? 0)")
                #expect(answer?.text.contains("{\"session\"") != true)
            }
            let rebound = try await requeue(port, host: "evil.example:\(port)", origin: "http://evil.example:\(port)")
            #expect(rebound.answer?.status == 421)
            let crossSite = try await requeue(port, host: "127.0.0.1:\(port)", origin: "http://evil.example")
            #expect(crossSite.answer?.status == 403)
            let nullOrigin = try await requeue(port, host: "127.0.0.1:\(port)", origin: "null")
            #expect(nullOrigin.answer?.status == 403)
            #expect(FileSystem.exists(root + "/quarantine/broken.json"), "nothing was requeued")
            #expect(!FileSystem.exists(root + "/inbox/broken.json"))

            // The daemon's own names still work, with and without the port, and a same-origin requeue goes through.
            for host in ["127.0.0.1:\(port)", "localhost:\(port)", "LOCALHOST", "127.0.0.1"] {
                let (answer, _) = try await raw(port, "GET / HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
                #expect(answer?.status == 200, "\(host)")
            }
            let own = try await requeue(port, host: "localhost:\(port)", origin: "http://localhost:\(port)")
            #expect(own.answer?.status == 200, "\(own.answer?.text ?? "")")
            #expect(try await web.daemon.stop() == 0)
        }
    }

    /// Ambiguous framing gets 400 and a closed connection before any route runs (RFC 9112 §6.1, §3.2): an
    /// unknown `Transfer-Encoding`, both `Transfer-Encoding` and `Content-Length`, two `Host` fields. The
    /// requeue they carry is not executed.
    @Test func ambiguousFramingIsABadRequestBeforeRouting() async throws {
        try await withTemporaryDirectory { root in
            let web = try await webDaemonWithAQuarantinedFile(root)
            let port = web.port
            let requeue =
                "POST /quarantine/broken.json/requeue HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-SceneDrop-Action: requeue\r\n"
            for framing in [
                "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
                "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
                "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
                "Host: evil.example\r\nContent-Length: 0\r\n\r\n",
            ] {
                let connection = try RawHTTPConnection(port: port)
                try connection.send(requeue + framing)
                // Read to the end: the server closes the connection after its answer.
                let bytes = try await connection.read()
                let answer = try RawHTTP.parse(bytes)
                #expect(answer.status == 400, "\(framing.debugDescription): \(answer.status)")
                #expect(answer.headers["connection"]?.lowercased() == "close")
            }
            #expect(FileSystem.exists(root + "/quarantine/broken.json"), "nothing was requeued")
            #expect(try await web.get("/").status == 200)
            #expect(try await web.daemon.stop() == 0)
        }
    }

    /// 1,100 idle connections (past the old 1,024-descriptor limit): the web view caps what it holds, so the
    /// daemon keeps descriptors for its work, and a manifest dropped meanwhile is published. Once they close,
    /// the page is served again.
    @Test func aFloodOfIdleConnectionsLeavesThePipelineItsDescriptors() async throws {
        try await withTemporaryDirectory { root in
            let web = try await WebDaemon.start(root)
            // 700, not more: this test process keeps under 1,024 descriptors (libinotifytools' select() in the
            // watcher tests of the same process aborts past FD_SETSIZE). The daemon must hold far fewer.
            var held: [RawHTTPConnection] = []
            for _ in 0..<700 {
                guard let connection = try? RawHTTPConnection(port: web.port) else { break }
                held.append(connection)
            }
            #expect(held.count == 700)
            try dropFile(root + "/inbox/during.json", manifestJSON(session: "during", scenes: 2))
            try await waitForSessions(root + "/outbox", count: 1)
            let pid = web.daemon.process.pid
            // The daemon takes in what it can accept; the count settles once it has seen them all.
            try await web.daemon.waitUntil("the daemon to have taken in the flood") {
                listNames("/proc/\(pid)/fd", hidden: true).count >= 256
            }
            let descriptors = listNames("/proc/\(pid)/fd", hidden: true).count
            print("idle flood: 700 connections held, the daemon has \(descriptors) descriptors open")
            #expect(descriptors < 400, "\(descriptors) descriptors open")
            held.removeAll()
            // Closed on our side: once the daemon has let go of them, it serves the page again.
            try await web.daemon.waitUntil("the daemon to close the flood's connections") {
                listNames("/proc/\(pid)/fd", hidden: true).count < 200
            }
            #expect(try await web.get("/").status == 200)
            #expect(try await web.daemon.stop() == 0)
        }
    }

    /// 2,000 quarantined files: the page shows the newest 50 with the count and a link to 50 more (before,
    /// every one: 20,000 made a 9.7 MB page), `?quarantine=100` shows 100, and the fragment the page reloads
    /// keeps what was asked for.
    @Test func aLargeQuarantineIsShownNewestFirstFiftyAtATime() async throws {
        try await withTemporaryDirectory { root in
            // Made as the daemon makes them: the manifest, and its report beside it, written at quarantine time.
            try await onOwnThread {
                for index in 0..<2000 {
                    let name = String(format: "bad-%04d.json", index)
                    try writeFile(root + "/quarantine/" + name, "{")
                    try writeFile(
                        root + "/quarantine/" + name + ".error.json",
                        #"{"schema": "scenedrop.quarantine/v1", "file": "\#(name)", "reason": "invalid_json", "message": "bad", "errors": [], "#
                            + #""line": null, "column": null, "quarantined_at": "2027-01-15T08:00:00Z", "host": "h"}"#
                    )
                    var times = [
                        timespec(tv_sec: 1_800_000_000 + index, tv_nsec: 0),
                        timespec(tv_sec: 1_800_000_000 + index, tv_nsec: 0),
                    ]
                    utimensat(AT_FDCWD, root + "/quarantine/" + name + ".error.json", &times, 0)
                }
            }
            let web = try await WebDaemon.start(root)
            let page = try await web.get("/")
            #expect(page.status == 200)
            #expect(page.body.count < 200_000, "\(page.body.count) bytes")
            #expect(page.text.contains("The newest 50 of 2000 are shown"))
            #expect(page.text.contains("href=\"/?quarantine=100#quarantine\""))
            #expect(
                page.text.contains("data-requeue=\"bad-1999.json\"")
                    && page.text.contains("data-requeue=\"bad-1950.json\"")
            )
            #expect(!page.text.contains("data-requeue=\"bad-1949.json\""))
            let more = try await web.get("/?quarantine=100")
            #expect(
                more.text.contains("data-requeue=\"bad-1900.json\"")
                    && !more.text.contains("data-requeue=\"bad-1899.json\"")
            )
            let fragment = try await web.get("/fragments/quarantine?quarantine=100")
            #expect(fragment.text.components(separatedBy: "data-requeue=").count - 1 == 100)
            #expect(try await web.daemon.stop() == 0)
        }
    }
}
