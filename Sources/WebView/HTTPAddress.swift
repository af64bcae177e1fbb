/// `--http ADDR:PORT`: where the web view listens. `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`,
/// `0.0.0.0:8080`; port 0 takes a free port (the log says which).
package struct HTTPAddress: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package struct ParseError: Error, Sendable, CustomStringConvertible {
        package var text: String
        package var description: String {
            "--http \(text): expected ADDR:PORT, e.g. 127.0.0.1:8080, [::1]:8080 or 0.0.0.0:8080 (port 0 picks a free one)"
        }
    }

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package init(parsing text: String) throws(ParseError) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ParseError(text: text)
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw ParseError(text: text)
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65_535).contains(port) else { throw ParseError(text: text) }
        self.host = String(host)
        self.port = port
    }

    /// Whether only this machine can reach it: 127.0.0.0/8, ::1 or `localhost`.
    package var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The URL to print, for this address with the port actually bound. A wildcard bind is shown as
    /// this host's name, which is what a colleague would type.
    package func url(boundPort: Int, hostName: String) -> String {
        let shown = host == "0.0.0.0" || host == "::" ? hostName : host
        return "http://" + (shown.contains(":") ? "[\(shown)]" : shown) + ":\(boundPort)/"
    }
}
