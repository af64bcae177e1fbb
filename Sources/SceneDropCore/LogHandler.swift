import LocatedJSON
import Logging
import Synchronization
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// Writes one line per record to stderr, as text for people or JSON for log collectors.
/// Messages are constant; the data is in the metadata.
package struct SceneDropLogHandler: LogHandler {
    package enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    private static let lock = Mutex<Void>(())

    package let label: String
    package let format: Format
    package var logLevel: Logger.Level
    package var metadata: Logger.Metadata = [:]

    package init(label: String, format: Format, level: Logger.Level) {
        self.label = label
        self.format = format
        logLevel = level
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        // Microseconds: operators and the benchmark time sub-millisecond pickups from the log.
        let time = WallClock.rfc3339(WallClock.now(), fractionDigits: 6)
        let line: String
        switch format {
        case .text:
            let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quoteIfNeeded("\($0.value)"))" }.joined(
                separator: " "
            )
            let level = event.level.rawValue.uppercased()
            line = "\(time) \(level) \(event.message)\(pairs.isEmpty ? "" : " " + pairs)\n"
        case .json:
            var fields = [
                "\"time\":\(Self.jsonString(time))", "\"level\":\(Self.jsonString(event.level.rawValue))",
                "\"message\":\(Self.jsonString("\(event.message)"))",
            ]
            for (key, value) in all.sorted(by: { $0.key < $1.key }) {
                fields.append("\(Self.jsonString(key)):\(Self.jsonString("\(value)"))")
            }
            line = "{" + fields.joined(separator: ",") + "}\n"
        }
        Self.lock.withLock { _ in
            // write(2) on fd 2: one call per line, so lines from threads never interleave. Scrubbed as a last
            // guard: a secret quoted by a server must not reach the log even where a caller forgot it.
            var bytes = Secrets.scrub(Array(line.utf8))
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
                if n <= 0 { break }
                offset += n
            }
        }
    }

    /// Quoted (as JSON, which escapes every control character) when a value has a space, a quote, an equals sign
    /// or anything invisible: a file name with ESC or a newline can neither drive the terminal nor spoof a line.
    static func quoteIfNeeded(_ value: String) -> String {
        value.unicodeScalars.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || JSONString.isInvisible($0) })
            ? jsonString(value) : value
    }

    static func jsonString(_ value: String) -> String {
        JSONString.quote(value)
    }
}
