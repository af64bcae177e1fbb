/// The instances registered with the coordinator and today's spend, as `scenedrop status` and the web
/// view show them. Ages are measured on the database's clock alone, never by comparing two hosts' clocks.
package struct FleetReport: Codable, Sendable, Equatable {
    package struct Member: Codable, Sendable, Equatable {
        package var instance: String
        package var host: String
        package var pid: Int
        package var inbox: String
        package var version: String
        package var startedAt: String
        /// Seconds since its last renewal.
        package var renewedAgoSeconds: Double
        package var leaseTimeoutSeconds: Double
        /// `live`, or `lost` once its renewal is older than its lease timeout.
        package var state: String
        package var sessionsInFlight: Int
        package var dailyBudgetUSD: Double?
        package var spentTodayUSD: Double
        package var reservedUSD: Double

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
    package var coordinator: String
    /// The UTC day the amounts are for.
    package var day: String
    package var members: [Member]
    package var spentTodayUSD: Double
    /// Reserved for requests in flight (and for requests of instances that died with one in flight).
    package var reservedUSD: Double
    package var paidImagesToday: Int

    enum CodingKeys: String, CodingKey {
        case coordinator, day, members
        case spentTodayUSD = "spent_today_usd"
        case reservedUSD = "reserved_usd"
        case paidImagesToday = "paid_images_today"
    }
}
