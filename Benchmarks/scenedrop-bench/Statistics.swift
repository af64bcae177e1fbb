/// Percentiles over latency samples (seconds), nearest-rank.
struct Samples: Sendable {
    private(set) var values: [Double] = []

    init(_ values: [Double] = []) {
        self.values = values.sorted()
    }

    var count: Int { values.count }

    func percentile(_ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let rank = Int((p / 100 * Double(values.count)).rounded(.up))
        return values[min(max(rank, 1), values.count) - 1]
    }

    var p50: Double? { percentile(50) }
    var p99: Double? { percentile(99) }
}
