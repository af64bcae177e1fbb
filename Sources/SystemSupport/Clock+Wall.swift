#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock helpers in one place, so formats stay identical across metadata files.
public enum WallClock {
    /// Seconds since the epoch, with nanosecond resolution.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// RFC 3339 UTC with seconds, e.g. `2026-11-22T10:00:00Z`.
    public static func rfc3339(_ seconds: Double, fractional: Bool = false, microseconds: Bool = false) -> String {
        var t = time_t(seconds.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        var text = pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2)
        text += "T" + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
        if microseconds {
            let micros = min(999_999, Int(((seconds - seconds.rounded(.down)) * 1_000_000).rounded(.down)))
            text += "." + pad(micros, 6)
        } else if fractional {
            let millis = Int(((seconds - seconds.rounded(.down)) * 1000).rounded(.down))
            text += "." + pad(millis, 3)
        }
        return text + "Z"
    }

    /// Compact UTC stamp for file names, e.g. `20261122T100000Z`.
    public static func compactStamp(_ seconds: Double) -> String {
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
