/// Midnight in America/Los_Angeles, without a time zone database: the Gemini API resets per-day
/// quotas then ("Requests per day (RPD) quotas reset at midnight Pacific time", ai.google.dev rate
/// limits page, quoted in docs/gemini-image-api.md §6). US daylight saving time (since 2007): from
/// 02:00 local on the second Sunday of March to 02:00 local on the first Sunday of November.
package enum PacificTime {
    /// The first Pacific midnight after `now` (both in seconds since the epoch).
    package static func nextMidnight(after now: Double) -> Double {
        let local = now + offset(at: now)
        let nextLocalDay = Int((local / 86_400).rounded(.down)) + 1
        // Clocks change at 02:00, never at midnight: that day's midnight has the day's own offset.
        return Double(nextLocalDay) * 86_400 - offset(atLocalMidnightOf: nextLocalDay)
    }

    /// Seconds to add to UTC for Pacific time at `now`: −8 h, or −7 h in daylight saving time.
    package static func offset(at now: Double) -> Double {
        let standardDay = Int(((now - 8 * 3600) / 86_400).rounded(.down))
        let (start, end) = daylightSaving(year: year(ofDay: standardDay))
        // Starts 02:00 PST (10:00 UTC), ends 02:00 PDT (09:00 UTC).
        let inSummer = now >= Double(start) * 86_400 + 10 * 3600 && now < Double(end) * 86_400 + 9 * 3600
        return inSummer ? -7 * 3600 : -8 * 3600
    }

    static func offset(atLocalMidnightOf day: Int) -> Double {
        let (start, end) = daylightSaving(year: year(ofDay: day))
        return day > start && day <= end ? -7 * 3600 : -8 * 3600
    }

    /// The days (since the epoch) of the second Sunday of March and the first Sunday of November.
    static func daylightSaving(year: Int) -> (start: Int, end: Int) {
        func firstSunday(month: Int) -> Int {
            let first = days(year: year, month: month, day: 1)
            return first + (7 - weekday(first)) % 7
        }
        return (firstSunday(month: 3) + 7, firstSunday(month: 11))
    }

    /// 0 for Sunday (1970-01-01 was a Thursday).
    static func weekday(_ day: Int) -> Int {
        ((day % 7) + 7 + 4) % 7
    }

    /// Days since 1970-01-01 of a date of the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func year(ofDay day: Int) -> Int {
        let shifted = day + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        return yearOfEra + era * 400 + (monthIndex >= 10 ? 1 : 0)
    }
}
