/// One line of `/proc/self/mountinfo`: where a filesystem is mounted, its type and its options.
package struct MountInfo: Sendable, Equatable {
    package var mountPoint: String
    package var type: String
    /// The per-mount and the superblock options together.
    package var options: [String]

    /// Parses one line (proc(5)): `id parent major:minor root mountpoint options [optional…] - type source super`.
    package init?(line: some StringProtocol) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let dash = fields.firstIndex(of: "-"), dash >= 6, dash + 2 < fields.count else { return nil }
        mountPoint = Self.unescape(String(fields[4]))
        type = String(fields[dash + 1])
        let mountOptions: [String] = fields[5].split(separator: ",").map { String($0) }
        let superOptions: [String] = fields[dash + 3].split(separator: ",").map { String($0) }
        options = mountOptions + superOptions
    }

    /// The mount that holds `path` (an absolute path, links already resolved): the longest mount point that is
    /// a prefix of it, in `text` (the contents of mountinfo).
    package static func holding(_ path: String, in text: String) -> MountInfo? {
        text.split(separator: "\n").compactMap(MountInfo.init(line:))
            .filter { path == $0.mountPoint || $0.mountPoint == "/" || path.hasPrefix($0.mountPoint + "/") }
            .max { $0.mountPoint.count < $1.mountPoint.count }
    }

    /// The mount holding `path` in this process's view.
    package static func holding(_ path: String) -> MountInfo? {
        guard let bytes = try? FileSystem.readRegularFile("/proc/self/mountinfo", limit: 16 << 20) else { return nil }
        return holding(FileSystem.realPath(path) ?? path, in: String(decoding: bytes, as: UTF8.self))
    }

    /// What would make pickup prompt on this mount, when its caching can delay what other clients write; nil
    /// when nothing is to be said (a local disk, or options that already turn the caching off).
    package var pickupHint: String? {
        switch type {
        case "fuse.sshfs":
            // sshfs's own options (cache, dir_cache) never reach mountinfo: it can only be said what to check.
            return
                "sshfs caches directory listings (20 s by default): a file another client writes may be seen that late; "
                + "mount with -o dir_cache=no (or cache=no) for prompt pickup"
        case "nfs", "nfs4":
            let off =
                options.contains("noac") || options.contains("lookupcache=none")
                || options.contains("lookupcache=negative")
                || options.contains("actimeo=0") || options.contains("acdirmax=0")
            return off
                ? nil
                : "NFS caches attributes and lookups (up to 60 s for folders): a file another client writes may be seen that late; "
                    + "mount with -o lookupcache=positive,acdirmax=1 (or actimeo=1) for prompt pickup"
        case "cifs", "smb3":
            let off = options.contains { $0 == "actimeo=0" || $0 == "acdirmax=0" }
            return off
                ? nil
                : "SMB caches folder attributes (1 s by default, more with actimeo): mount with -o actimeo=1 or lower for prompt pickup"
        default:
            return nil
        }
    }

    /// mountinfo writes space, tab, newline and backslash in paths as octal escapes (`\040`).
    static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
                let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
