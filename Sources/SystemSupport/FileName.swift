/// File names that must fit the filesystem's limit (NAME_MAX, 255 bytes on ext4, XFS, NFS and most others).
package enum FileName {
    package static let maximumBytes = 255

    /// `name` if it fits in `maximumBytes` (counting `reserve` bytes the caller adds around it); otherwise a
    /// shortened name: its start, cut at a character boundary, then `-` and 16 hex digits of the SHA-256 of the
    /// whole name, then its extension (`.json`). Two long names that differ anywhere get two short names.
    package static func fitting(_ name: String, reserve: Int = 0) -> String {
        let budget = maximumBytes - reserve
        guard name.utf8.count > budget else { return name }
        let lower = name.lowercased()
        let suffix = lower.hasSuffix(".json") ? String(name.suffix(5)) : ""
        let tag = "-" + String(Digest.sha256Hex(Array(name.utf8)).prefix(16)) + suffix
        var head = ""
        for character in name.dropLast(suffix.count) {
            if head.utf8.count + String(character).utf8.count + tag.utf8.count > budget { break }
            head.append(character)
        }
        return head + tag
    }
}
