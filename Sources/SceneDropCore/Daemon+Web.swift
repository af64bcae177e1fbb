import Logging
import Outbox
import ServiceLifecycle
import SystemSupport
import WebView

extension Daemon {
    /// The web view on `settings.address`; says where once it listens, and leaves the address in
    /// `.scenedrop/http.json` for `scenedrop status --http` while it runs.
    func webService(_ settings: WebSettings, source: DaemonLiveSource, logger: Logger) -> WebService {
        let layout = configuration.layout
        var server = WebServer.Settings(
            address: settings.address,
            token: settings.token,
            outbox: layout.outbox,
            quarantine: layout.quarantine,
            previewCache: layout.cache + "/previews"
        )
        server.recentSessions = 12
        let record = layout.state + "/" + WebService.recordName
        let web = WebServer(settings: server, source: source, logger: logger) { port in
            let url = settings.address.url(boundPort: port, hostName: Host.name)
            logger.notice(
                "web view listening",
                metadata: [
                    "scenedrop.url": "\(url)", "scenedrop.token_required": "\(settings.token != nil)",
                ]
            )
            guard
                let bytes = try? MetadataCoding.encode(
                    WebAddressRecord(url: url, pid: Int(Host.processID), tokenFile: settings.tokenFile)
                )
            else { return }
            await WorkerThreads.io.run { try? FileSystem.writeAtomically(record, bytes: bytes, sync: false) }
        }
        return WebService(server: web, address: settings.address, record: record)
    }
}

/// The web server, with a clear error when it cannot listen, and its address record removed when it stops.
struct WebService: Service {
    let server: WebServer
    let address: HTTPAddress
    let record: String

    static let recordName = "http.json"

    struct ListenError: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        defer { try? FileSystem.unlinkFile(record) }
        do {
            try await server.run()
        } catch {
            throw ListenError(
                description:
                    "--http \(address): cannot listen (\(error)); choose another address or port, or stop what uses it"
            )
        }
    }
}

/// `.scenedrop/http.json` while the web view runs. The token itself is never written here: only
/// where it is, for whoever may read that file.
package struct WebAddressRecord: Codable, Sendable {
    package var url: String
    package var pid: Int
    package var tokenFile: String?

    enum CodingKeys: String, CodingKey {
        case url, pid
        case tokenFile = "token_file"
    }
}

/// The first service to stop: marks the daemon as stopping, for `/readyz`.
struct StoppingService: Service {
    let stopping: Stopping

    func run() async {
        try? await gracefulShutdown()
        stopping.begin()
    }
}
