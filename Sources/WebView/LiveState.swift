/// What the daemon is doing now, as the page and its Server-Sent Events show it. Every string in it
/// may come from a manifest: the page escapes it, and the events' JSON carries `<`, `>` and `&` as
/// `\u` escapes, so no reader can mistake it for markup.
package struct LiveState: Codable, Sendable, Equatable {
    package struct Inbox: Codable, Sendable, Equatable {
        package var count: Int
        package var oldestAgeSeconds: Double?

        package init(count: Int, oldestAgeSeconds: Double?) {
            self.count = count
            self.oldestAgeSeconds = oldestAgeSeconds
        }

        enum CodingKeys: String, CodingKey {
            case count
            case oldestAgeSeconds = "oldest_age_seconds"
        }
    }

    /// One scene of a session in flight. `state` is one of `queued`, `requesting`, `waiting`,
    /// `rendering`, `rendered`, `written`; `detail` says it in words (model, attempt, until when).
    package struct Scene: Codable, Sendable, Equatable {
        package var scene: Int
        package var state: String
        package var detail: String

        package init(scene: Int, state: String, detail: String) {
            self.scene = scene
            self.state = state
            self.detail = detail
        }
    }

    package struct Session: Codable, Sendable, Equatable {
        package var session: String
        package var file: String
        package var startedAt: String
        package var scenes: [Scene]

        package init(session: String, file: String, startedAt: String, scenes: [Scene]) {
            self.session = session
            self.file = file
            self.startedAt = startedAt
            self.scenes = scenes
        }

        enum CodingKeys: String, CodingKey {
            case session, file
            case startedAt = "started_at"
            case scenes
        }
    }

    package var inbox: Inbox
    package var inFlight: [Session]
    package var spentTodayUSD: Double
    package var dailyBudgetUSD: Double?
    package var cacheHits: Int
    /// What limits the providers now, in plain words (cool-downs, retired models, a refused key).
    package var conditions: [String]
    /// Counts since the daemon started: the page reloads its session and quarantine lists when they move.
    package var published: Int
    package var quarantined: Int
    package var requeued: Int
    /// The instances sharing the coordinator; nil without `--coordinator`.
    package var fleet: LiveFleet?

    package init(
        inbox: Inbox,
        inFlight: [Session],
        spentTodayUSD: Double,
        dailyBudgetUSD: Double?,
        cacheHits: Int,
        conditions: [String],
        published: Int,
        quarantined: Int,
        requeued: Int,
        fleet: LiveFleet? = nil
    ) {
        self.fleet = fleet
        self.inbox = inbox
        self.inFlight = inFlight
        self.spentTodayUSD = spentTodayUSD
        self.dailyBudgetUSD = dailyBudgetUSD
        self.cacheHits = cacheHits
        self.conditions = conditions
        self.published = published
        self.quarantined = quarantined
        self.requeued = requeued
    }

    enum CodingKeys: String, CodingKey {
        case inbox
        case inFlight = "in_flight"
        case spentTodayUSD = "spent_today_usd"
        case dailyBudgetUSD = "daily_budget_usd"
        case cacheHits = "cache_hits"
        case conditions, published, quarantined, requeued, fleet
    }
}
