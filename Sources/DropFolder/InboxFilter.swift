/// Which names in the inbox are manifests (contract §1). Pure: names only; file types are
/// checked by the scanner with lstat.
package enum InboxFilter {
    static let ignoredSuffixes = [
        "~", ".tmp", ".part", ".partial", ".crdownload", ".download", ".filepart", ".swp",
    ]

    /// Whether a name may be a manifest: ends in `.json` (any case) and is not a hidden,
    /// temporary or partial-download name.
    package static func accepts(_ name: String) -> Bool {
        guard !name.isEmpty, !name.contains("/") else { return false }
        if name.hasPrefix(".") || name.hasPrefix("~$") { return false }
        if name == "Thumbs.db" { return false }
        let lower = name.lowercased()
        for suffix in ignoredSuffixes where lower.hasSuffix(suffix) { return false }
        // Our own quarantine reports must never be taken for manifests after a requeue slip.
        if lower.hasSuffix(".error.json") { return false }
        return lower.hasSuffix(".json") && lower.count > ".json".count
    }
}
