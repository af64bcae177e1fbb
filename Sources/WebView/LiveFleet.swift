/// The instances sharing the coordinator (`--coordinator`), as the page's Fleet section shows them.
public struct LiveFleet: Codable, Sendable, Equatable {
    public struct Peer: Codable, Sendable, Equatable {
        public var instance: String
        public var host: String
        /// `live`, or `lost` once its renewal is older than its lease timeout.
        public var state: String
        public var renewedAgoSeconds: Double
        public var sessionsInFlight: Int
        public var spentTodayUSD: Double

        public init(
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
    public var coordinator: String
    /// Whether it answered the last time it was asked.
    public var reachable: Bool
    public var spentTodayUSD: Double
    public var reservedUSD: Double
    public var peers: [Peer]

    public init(coordinator: String, reachable: Bool, spentTodayUSD: Double, reservedUSD: Double, peers: [Peer]) {
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
