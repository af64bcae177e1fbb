import CoreMetrics
import Prometheus

/// The daemon's metrics, through swift-metrics into a Prometheus registry that `/metrics` renders.
/// Named by Prometheus' conventions: base units (seconds, USD), `_total` counters, `_seconds`
/// histograms, and labels with bounded values only (reason codes, providers, statuses, catalog
/// models, status classes: never a session or file name).
///
/// The factory is injected, not bootstrapped globally, so every daemon in a process (the tests run
/// several) has its own registry.
final class DaemonMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    let claimed: CoreMetrics.Counter
    let published: CoreMetrics.Counter
    let handedBack: CoreMetrics.Counter
    let costUSD: CoreMetrics.FloatingPointCounter
    let cacheHits: CoreMetrics.Counter
    let rescans: CoreMetrics.Counter
    let overflows: CoreMetrics.Counter
    let inboxFiles: CoreMetrics.Gauge
    let sessionsInFlight: CoreMetrics.Gauge
    let sessionDuration: CoreMetrics.Timer
    let dropToPublish: CoreMetrics.Timer

    static let sessionBuckets: [Duration] = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800].map { .seconds($0) }

    init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "scenedrop_session_duration_seconds": Self.sessionBuckets,
            "scenedrop_drop_to_publish_seconds": Self.sessionBuckets,
            "scenedrop_provider_request_duration_seconds": [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120].map {
                .milliseconds(Int64($0 * 1000))
            },
        ]
        self.factory = factory
        claimed = CoreMetrics.Counter(label: "scenedrop_manifests_claimed_total", factory: factory)
        published = CoreMetrics.Counter(label: "scenedrop_manifests_published_total", factory: factory)
        handedBack = CoreMetrics.Counter(label: "scenedrop_manifests_handed_back_total", factory: factory)
        costUSD = CoreMetrics.FloatingPointCounter(label: "scenedrop_cost_usd_total", factory: factory)
        cacheHits = CoreMetrics.Counter(label: "scenedrop_cache_hits_total", factory: factory)
        rescans = CoreMetrics.Counter(label: "scenedrop_rescans_total", factory: factory)
        overflows = CoreMetrics.Counter(label: "scenedrop_inotify_overflows_total", factory: factory)
        inboxFiles = CoreMetrics.Gauge(label: "scenedrop_inbox_files", factory: factory)
        sessionsInFlight = CoreMetrics.Gauge(label: "scenedrop_sessions_in_flight", factory: factory)
        sessionDuration = CoreMetrics.Timer(label: "scenedrop_session_duration_seconds", factory: factory)
        dropToPublish = CoreMetrics.Timer(label: "scenedrop_drop_to_publish_seconds", factory: factory)
    }

    func quarantined(reason: String) {
        CoreMetrics.Counter(
            label: "scenedrop_manifests_quarantined_total",
            dimensions: [("reason", reason)],
            factory: factory
        ).increment()
    }

    /// `fallback_reason` is `none` for a scene that did not fall back.
    func scene(provider: String, status: String, fallbackReason: String?) {
        CoreMetrics.Counter(
            label: "scenedrop_scenes_total",
            dimensions: [("provider", provider), ("status", status), ("fallback_reason", fallbackReason ?? "none")],
            factory: factory
        ).increment()
    }

    func request(model: String, statusClass: String, seconds: Double) {
        CoreMetrics.Counter(
            label: "scenedrop_provider_requests_total",
            dimensions: [("model", model), ("status_class", statusClass)],
            factory: factory
        ).increment()
        CoreMetrics.Timer(
            label: "scenedrop_provider_request_duration_seconds",
            dimensions: [("model", model)],
            factory: factory
        )
        .recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    func text() -> String {
        registry.emitToString()
    }
}
