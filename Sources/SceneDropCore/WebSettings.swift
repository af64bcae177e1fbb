import WebView

/// `--http` and `--http-token-file`: where the web view listens and the secret it asks for.
package struct WebSettings: Sendable {
    package var address: HTTPAddress
    package var token: AccessToken?
    /// Where the token came from, for `scenedrop status --http`.
    package var tokenFile: String?

    package struct Refusal: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// Refuses a bind beyond loopback without a token: anyone on the network could otherwise read
    /// every prompt and requeue files.
    package init(address: HTTPAddress, token: AccessToken?, tokenFile: String?) throws(Refusal) {
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
