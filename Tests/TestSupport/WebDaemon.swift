import Foundation
import SystemSupport

/// `scenedrop watch --http 127.0.0.1:0` (or what `address` says), and the port it took.
package struct WebDaemon {
    package let daemon: WatchDaemon
    package let port: Int

    package static func start(
        _ root: String,
        address: String = "127.0.0.1:0",
        _ extra: [String] = [],
        environment: [String: String] = [:]
    ) async throws -> WebDaemon {
        try FileSystem.makeDirectories(root + "/logs")
        let process = try SceneDropProcess(
            ["watch", "--root", root, "--log-format", "json", "--http", address] + extra,
            logDirectory: root + "/logs",
            name: "web",
            environment: environment
        )
        let daemon = WatchDaemon(root: root, process: process)
        var port = 0
        try await daemon.waitUntil("the web view's listening line and the inbox watch") {
            guard process.isRunning else { throw DaemonExited(stderr: process.stderr) }
            guard let url = process.logRecords(.webViewListening).first?["scenedrop.url"],
                !process.logRecords(.inboxWatchInPlace).isEmpty
            else { return false }
            port = Int(url.split(separator: ":").last?.filter(\.isNumber) ?? "") ?? 0
            return port > 0
        }
        return WebDaemon(daemon: daemon, port: port)
    }

    package func get(_ target: String, headers: [String: String] = [:]) async throws -> RawHTTP.Answer {
        try await RawHTTP.request(port: port, "GET", target, headers: headers)
    }

    package func post(_ target: String, headers: [String: String] = [:]) async throws -> RawHTTP.Answer {
        try await RawHTTP.request(port: port, "POST", target, headers: headers)
    }

    /// Opens `/events` and returns the connection, its first frame read.
    package func events(headers: [String: String] = [:]) async throws -> RawHTTPConnection {
        let connection = try RawHTTPConnection(port: port)
        var head = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try connection.send(head + "\r\n")
        try await connection.read {
            String(decoding: $0, as: UTF8.self).contains("\ndata: ")
                || String(decoding: $0, as: UTF8.self).contains("data: {")
        }
        return connection
    }
}

/// The `prometheus_client` package's own text parser over `text`: each sample as
/// `name{label="value",…}` (labels sorted) → value.
package func parsePrometheus(_ text: String, in folder: String) async throws -> [String: Double] {
    let script = """
        import json, sys
        try:
            from prometheus_client.parser import text_string_to_metric_families
        except ImportError:
            sys.exit("prometheus_client is not installed: run .ci/setup test (or pip install prometheus_client)")
        out = {}
        for family in text_string_to_metric_families(open(sys.argv[1]).read()):
            for s in family.samples:
                labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
                out[s.name + ("{" + labels + "}" if labels else "")] = s.value
        print(json.dumps(out))
        """
    try writeFile(folder + "/parse_metrics.py", script)
    try writeFile(folder + "/metrics.txt", text)
    let python = try ChildProcess(
        "python3",
        [folder + "/parse_metrics.py", folder + "/metrics.txt"],
        stdout: .file(folder + "/metrics.json"),
        stderr: .file(folder + "/metrics.err")
    )
    let status = try await python.wait(timeout: .seconds(60))
    let err = readFile(folder + "/metrics.err").map { String(decoding: $0, as: UTF8.self) } ?? ""
    guard status == 0 else { throw ParserRefused(message: err) }
    let json =
        try JSONSerialization.jsonObject(with: Data(readFile(folder + "/metrics.json") ?? [])) as? [String: Double]
    return json ?? [:]
}

package struct ParserRefused: Error, CustomStringConvertible {
    package var message: String
    package var description: String { "the Prometheus text parser refused /metrics: \(message)" }
}
