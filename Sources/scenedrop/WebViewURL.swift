import ArgumentParser
import Outbox
import SceneDropCore
import SystemSupport
import WebView

/// `scenedrop status --http`: the web view's URL from the running daemon's `.scenedrop/http.json`.
enum WebViewURL {
    static func find(_ layout: Layout) throws -> String {
        let path = layout.state + "/http.json"
        guard let bytes = try? FileSystem.readRegularFile(path, limit: 1 << 16),
            let record = try? MetadataCoding.decode(WebAddressRecord.self, from: bytes),
            Host.processExists(Int32(record.pid))
        else {
            printError(
                "scenedrop status: no web view is running on this root; start it with `scenedrop watch --root DIR --http 127.0.0.1:8080`"
            )
            throw ExitCode.failure
        }
        guard let file = record.tokenFile else { return record.url }
        guard let token = try? AccessToken.load(file: file) else {
            printError(
                "scenedrop status: the web view needs the token in \(file), which this user cannot read; open \(record.url)?token=<that token>"
            )
            return record.url
        }
        return record.url + "?token=" + token.value
    }
}
