#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock helpers in one place, so formats stay identical across metadata files.
package enum WallClock {
    /// Seconds since the epoch, with nanosecond resolution.
    package static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// RFC 3339 UTC with seconds, e.g. `2026-11-22T10:00:00Z`.
    /// - Parameter fractionDigits: 0, 3 (milliseconds) or 6 (microseconds).
    package static func rfc3339(_ seconds: Double, fractionDigits: Int = 0) -> String {
        var t = time_t(seconds.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        var text =
            pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2)
        text += "T" + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
        if fractionDigits > 0 {
            let scale = Int(pow(10, Double(fractionDigits)))
            let fraction = min(scale - 1, Int(((seconds - seconds.rounded(.down)) * Double(scale)).rounded(.down)))
            text += "." + pad(fraction, fractionDigits)
        }
        return text + "Z"
    }

    /// Compact UTC stamp for file names, e.g. `20261122T100000Z`.
    package static func compactStamp(_ seconds: Double) -> String {
        rfc3339(seconds).replacingDashesAndColons()
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension String {
    fileprivate func replacingDashesAndColons() -> String {
        String(self.filter { $0 != "-" && $0 != ":" })
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    package var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
