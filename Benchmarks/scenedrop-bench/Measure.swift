import Foundation

/// One line of the results table: what was measured, the figure, the target, and whether it is met.
struct Measure: Sendable, Encodable {
    var scenario: String
    var measure: String
    var value: String
    var target: String
    /// nil when the figure is reported without a target (baselines, counts).
    var met: Bool?
    /// The raw number behind `value`, for `--json` readers.
    var number: Double?
    var unit: String?
}

func milliseconds(_ seconds: Double?) -> String {
    guard let seconds else { return "n/a" }
    let ms = seconds * 1000
    return ms < 10 ? String(format: "%.2f ms", ms) : String(format: "%.1f ms", ms)
}
