/// The instances registered with the coordinator and today's spend, as `scenedrop status` and the web
/// view show them. Ages are measured on the database's clock alone, never by comparing two hosts' clocks.
public struct FleetReport: Codable, Sendable, Equatable {
    public struct Member: Codable, Sendable, Equatable {
        public var instance: String
        public var host: String
        public var pid: Int
        public var inbox: String
        public var version: String
        public var startedAt: String
        /// Seconds since its last renewal.
        public var renewedAgoSeconds: Double
        public var leaseTimeoutSeconds: Double
        /// `live`, or `lost` once its renewal is older than its lease timeout.
        public var state: String
        public var sessionsInFlight: Int
        public var dailyBudgetUSD: Double?
        public var spentTodayUSD: Double
        public var reservedUSD: Double

        enum CodingKeys: String, CodingKey {
            case instance, host, pid, inbox, version
            case startedAt = "started_at"
            case renewedAgoSeconds = "renewed_ago_seconds"
            case leaseTimeoutSeconds = "lease_timeout_seconds"
            case state
            case sessionsInFlight = "sessions_in_flight"
            case dailyBudgetUSD = "daily_budget_usd"
            case spentTodayUSD = "spent_today_usd"
            case reservedUSD = "reserved_usd"
        }
    }

    /// The coordinator's address, without its password.
    public var coordinator: String
    /// The UTC day the amounts are for.
    public var day: String
    public var members: [Member]
    public var spentTodayUSD: Double
    /// Reserved for requests in flight (and for requests of instances that died with one in flight).
    public var reservedUSD: Double
    public var paidImagesToday: Int

    enum CodingKeys: String, CodingKey {
        case coordinator, day, members
        case spentTodayUSD = "spent_today_usd"
        case reservedUSD = "reserved_usd"
        case paidImagesToday = "paid_images_today"
    }
}
