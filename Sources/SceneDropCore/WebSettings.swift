import WebView

/// `--http` and `--http-token-file`: where the web view listens and the secret it asks for.
public struct WebSettings: Sendable {
    public var address: HTTPAddress
    public var token: AccessToken?
    /// Where the token came from, for `scenedrop status --http`.
    public var tokenFile: String?

    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Refuses a bind beyond loopback without a token: anyone on the network could otherwise read
    /// every prompt and requeue files.
    public init(address: HTTPAddress, token: AccessToken?, tokenFile: String?) throws(Refusal) {
        if token == nil, !address.isLoopback {
            throw Refusal(
                description: """
                    --http \(address) listens beyond this machine, so it needs a secret: give --http-token-file FILE (at least \
                    \(AccessToken.minimumLength) characters, e.g. `openssl rand -hex 24 > FILE`), or listen on 127.0.0.1
                    """
            )
        }
        self.address = address
        self.token = token
        self.tokenFile = tokenFile
    }
}
