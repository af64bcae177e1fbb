import ArgumentParser

/// A duration on the command line: `500ms`, `90s`, `15m`, `12h`, `7d` (a bare number is seconds).
struct DurationArgument: ExpressibleByArgument, Sendable, CustomStringConvertible {
    let duration: Duration
    let text: String

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: " ")
        let units: [(String, Double)] = [
            ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800),
        ]
        var number = Substring(text)
        var scale = 1.0
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            // "ms" must win over "s": it comes first in the list.
            number = text.dropLast(suffix.count)
            scale = factor
            break
        }
        // At most a century (3.2e9 s): more would not fit a `Duration` in milliseconds' arithmetic, and no
        // interval SceneDrop takes needs it.
        guard let value = Double(number), value >= 0, value.isFinite, value * scale <= 3.2e9 else { return nil }
        duration = .milliseconds(Int64((value * scale * 1000).rounded()))
        self.text = text
    }

    init(_ duration: Duration, text: String) {
        self.duration = duration
        self.text = text
    }

    var description: String { text }
    var defaultValueDescription: String { text }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
