import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SystemSupport

/// The web view as a service of the daemon's group: the page, its live events, the files it links
/// to, Requeue, `/metrics`, `/healthz` and `/readyz`, on Hummingbird.
///
/// A slow or never-reading client costs only its own connection: each event stream keeps at most
/// one pending update, writes wait for the socket, and a request still arriving after `idleTimeout`
/// is closed. At graceful shutdown the event streams end, so the server does not hold the daemon.
package struct WebServer: Service {
    package struct Settings: Sendable {
        package var address: HTTPAddress
        package var token: AccessToken?
        package var outbox: String
        package var quarantine: String
        /// Where previews for sessions published without them are kept.
        package var previewCache: String
        package var recentSessions = 12
        /// Every event stream gets the whole state at least this often (ages move; proxies see traffic).
        package var refresh: Duration = .seconds(5)
        /// Connections open at once; more are closed as they come (`ConnectionGuard`). Well below the descriptor
        /// limit, so the pipeline keeps descriptors for the inbox, claims and images.
        package var maxConnections = 256

        package init(
            address: HTTPAddress,
            token: AccessToken?,
            outbox: String,
            quarantine: String,
            previewCache: String
        ) {
            self.address = address
            self.token = token
            self.outbox = outbox
            self.quarantine = quarantine
            self.previewCache = previewCache
        }
    }

    let settings: Settings
    let source: any LiveSource
    let logger: Logger
    /// Called with the port actually bound (the one asked for, or the one the system picked for 0).
    let onListening: @Sendable (Int) async -> Void

    package init(
        settings: Settings,
        source: any LiveSource,
        logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void
    ) {
        self.settings = settings
        self.source = source
        self.logger = logger
        self.onListening = onListening
    }

    package func run() async throws {
        let router = Router()
        router.add(
            middleware: AccessMiddleware(
                token: settings.token,
                origins: OriginPolicy(loopback: settings.address.isLoopback)
            )
        )
        WebRoutes(
            settings: settings,
            source: source,
            reader: OutboxReader(outbox: settings.outbox, quarantine: settings.quarantine),
            previews: Thumbnailer(cacheDirectory: settings.previewCache)
        ).register(on: router)
        // Hummingbird logs each request at debug and its own start at info: keep it to warnings.
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .warning)
        let onListening = self.onListening
        let connections = ConnectionCount(limit: settings.maxConnections)
        let app = Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [ConnectionGuard(count: connections)],
                    idleTimeout: .seconds(30)
                )
            ),
            configuration: .init(
                address: .hostname(settings.address.host, port: settings.address.port),
                serverName: nil
            ),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: serverLogger
        )
        try await app.run()
    }
}
