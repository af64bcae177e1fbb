/// The instances sharing the coordinator (`--coordinator`), as the page's Fleet section shows them.
package struct LiveFleet: Codable, Sendable, Equatable {
    package struct Peer: Codable, Sendable, Equatable {
        package var instance: String
        package var host: String
        /// `live`, or `lost` once its renewal is older than its lease timeout.
        package var state: String
        package var renewedAgoSeconds: Double
        package var sessionsInFlight: Int
        package var spentTodayUSD: Double

        package init(
            instance: String,
            host: String,
            state: String,
            renewedAgoSeconds: Double,
            sessionsInFlight: Int,
            spentTodayUSD: Double
        ) {
            self.instance = instance
            self.host = host
            self.state = state
            self.renewedAgoSeconds = renewedAgoSeconds
            self.sessionsInFlight = sessionsInFlight
            self.spentTodayUSD = spentTodayUSD
        }

        enum CodingKeys: String, CodingKey {
            case instance, host, state
            case renewedAgoSeconds = "renewed_ago_seconds"
            case sessionsInFlight = "sessions_in_flight"
            case spentTodayUSD = "spent_today_usd"
        }
    }

    /// The coordinator's address, without its password.
    package var coordinator: String
    /// Whether it answered the last time it was asked.
    package var reachable: Bool
    package var spentTodayUSD: Double
    package var reservedUSD: Double
    package var peers: [Peer]

    package init(coordinator: String, reachable: Bool, spentTodayUSD: Double, reservedUSD: Double, peers: [Peer]) {
        self.coordinator = coordinator
        self.reachable = reachable
        self.spentTodayUSD = spentTodayUSD
        self.reservedUSD = reservedUSD
        self.peers = peers
    }

    enum CodingKeys: String, CodingKey {
        case coordinator, reachable
        case spentTodayUSD = "spent_today_usd"
        case reservedUSD = "reserved_usd"
        case peers
    }
}
