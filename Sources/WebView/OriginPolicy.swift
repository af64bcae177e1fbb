/// Which `Host` and `Origin` values the web view answers (pure, so it is tested without a server).
///
/// On a loopback bind there is no token to ask for, so the browser's own same-origin rules are the only
/// protection, and DNS rebinding defeats them: a page at `http://evil.example:8080/` whose name is made to
/// resolve to 127.0.0.1 is same-origin with the daemon as far as the browser knows, and sends
/// `Host: evil.example:8080`. So a loopback bind serves only requests whose `Host` names a loopback address
/// or `localhost`. And a request that changes state (a requeue) is refused whenever its `Origin` is present
/// and is not the address the request was sent to: a cross-site form or fetch, on any bind.
struct OriginPolicy: Sendable, Equatable {
    let loopback: Bool

    /// The host names a loopback bind answers to (compared without the port, case-insensitively).
    static let loopbackNames: Set<String> = ["localhost", "127.0.0.1", "::1", "[::1]"]

    enum Verdict: Equatable {
        case allow
        /// 421 Misdirected Request: this server is not the one the name is for.
        case wrongHost(String)
        /// 403: a state-changing request from another origin.
        case foreignOrigin(String)
    }

    func verdict(method: String, host: String?, origin: String?) -> Verdict {
        if loopback, let host, !Self.isLoopbackName(Self.hostName(ofAuthority: host)) {
            return .wrongHost(host)
        }
        let safe = ["GET", "HEAD", "OPTIONS"].contains(method.uppercased())
        guard !safe, let origin else { return .allow }
        // "null" (a sandboxed frame, a file: page) is never our own origin.
        guard let authority = Self.authority(ofOrigin: origin), let host,
            authority.lowercased() == host.lowercased()
        else { return .foreignOrigin(origin) }
        return .allow
    }

    static func isLoopbackName(_ name: String) -> Bool {
        let lower = name.lowercased()
        if loopbackNames.contains(lower) { return true }
        let parts = lower.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// `host:port` → `host`; `[::1]:8080` → `::1`.
    static func hostName(ofAuthority authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        if let colon = authority.lastIndex(of: ":"), authority.firstIndex(of: ":") == colon {
            return String(authority[..<colon])
        }
        return authority
    }

    /// `http://host:port` → `host:port`; nil for anything else (`null`, a path, another scheme).
    static func authority(ofOrigin origin: String) -> String? {
        for scheme in ["http://", "https://"] where origin.lowercased().hasPrefix(scheme) {
            let rest = origin.dropFirst(scheme.count)
            guard !rest.isEmpty, !rest.contains("/") else { return nil }
            return String(rest)
        }
        return nil
    }
}
