import ArgumentParser
import SceneDropCore
import WebView

/// `--http` and `--http-token-file` for `watch`.
struct WebOptions: ParsableArguments {
    @Option(
        name: .customLong("http"),
        help: ArgumentHelp(
            "Serve the web view, /metrics, /healthz and /readyz on ADDR:PORT (env SCENEDROP_HTTP; default: off). Beyond loopback it needs --http-token-file.",
            valueName: "addr:port"
        )
    )
    var http: String?

    @Option(
        name: .customLong("http-token-file"),
        help: ArgumentHelp(
            "A file holding the secret every web request must carry (env SCENEDROP_HTTP_TOKEN_FILE). Open the URL the daemon prints once to set its cookie.",
            valueName: "file"
        )
    )
    var tokenFile: String?

    /// nil when the web view is off; a clear error for a bad address, token or a bind beyond loopback without a token.
    func settings() throws -> WebSettings? {
        guard let text = http ?? environment("SCENEDROP_HTTP"), !text.isEmpty else { return nil }
        let address: HTTPAddress
        do {
            address = try HTTPAddress(parsing: text)
        } catch {
            throw ValidationError(error.description)
        }
        let file = tokenFile ?? environment("SCENEDROP_HTTP_TOKEN_FILE")
        do {
            let token = try file.map { path throws(AccessToken.LoadError) in try AccessToken.load(file: path) }
            return try WebSettings(address: address, token: token, tokenFile: file.map(Layout.absolutePath))
        } catch let error as AccessToken.LoadError {
            throw ValidationError(error.description)
        } catch let error as WebSettings.Refusal {
            throw ValidationError(error.description)
        }
    }
}
