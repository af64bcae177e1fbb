import CSystemShim

#if canImport(Glibc)
import Glibc
#endif

/// What a shared volume gives, found by trying it in a scratch folder at start: the rename flags,
/// hard links and `O_APPEND`. Whether locks travel between clients cannot be seen from one host, so
/// it is not asked; liveness never depends on it (leases do).
package struct VolumeProbe: Sendable, Equatable, CustomStringConvertible {
    package var filesystem: FilesystemKind
    package var renameNoReplace: Bool
    package var renameExchange: Bool
    package var hardLinks: Bool
    package var appendWrites: Bool

    /// Tries each call in a fresh folder inside `directory`, then removes it. Blocking I/O.
    package static func run(in directory: String) -> VolumeProbe {
        let scratch = directory + "/.probe-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        var probe = VolumeProbe(
            filesystem: FileSystem.filesystemKind(directory),
            renameNoReplace: false,
            renameExchange: false,
            hardLinks: false,
            appendWrites: false
        )
        guard (try? FileSystem.makeDirectories(scratch)) != nil else { return probe }
        defer { try? FileSystem.removeTree(scratch) }
        let (a, b, c, d) = (scratch + "/a", scratch + "/b", scratch + "/c", scratch + "/d")
        guard (try? FileSystem.createFile(a, bytes: Array("a".utf8), sync: false)) != nil,
            (try? FileSystem.createFile(b, bytes: Array("b".utf8), sync: false)) != nil
        else { return probe }
        // Onto a new name (the kernel itself refuses an existing one with EEXIST before the filesystem
        // is asked, so only a new name shows whether the filesystem takes the flag).
        probe.renameNoReplace = csys_rename_noreplace(a, c) == 0
        let moved = probe.renameNoReplace ? c : a
        probe.renameExchange =
            csys_rename_exchange(moved, b) == 0
            && (try? FileSystem.readRegularFile(moved, limit: 16)) == Array("b".utf8)
        probe.hardLinks = link(moved, d) == 0
        probe.appendWrites = Self.appends(scratch + "/e")
        return probe
    }

    /// Two O_APPEND writes through two descriptors both land, one after the other.
    static func appends(_ path: String) -> Bool {
        let first = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        let second = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        defer {
            if first >= 0 { close(first) }
            if second >= 0 { close(second) }
        }
        guard first >= 0, second >= 0 else { return false }
        let one = Array("one\n".utf8)
        let two = Array("two\n".utf8)
        guard one.withUnsafeBytes({ write(first, $0.baseAddress, $0.count) }) == one.count,
            two.withUnsafeBytes({ write(second, $0.baseAddress, $0.count) }) == two.count
        else { return false }
        return (try? FileSystem.readRegularFile(path, limit: 64)) == one + two
    }

    /// The mechanisms SceneDrop uses on this volume, in words, for the start-up log line.
    package var mechanisms: String {
        [
            "claims: rename",
            "hand-back and quarantine: "
                + (renameNoReplace
                    ? "rename without replace"
                    : hardLinks
                        ? "link and unlink (no RENAME_NOREPLACE)"
                        : "rename after a check (no RENAME_NOREPLACE, no links)"),
            "re-drops: "
                + (renameExchange
                    ? "one exchange (RENAME_EXCHANGE)" : "old session moved aside, then the new one renamed in"),
            "liveness: leases",
            "ledger: one file per instance" + (appendWrites ? "" : " (O_APPEND did not hold here)"),
        ].joined(separator: "; ")
    }

    package var description: String {
        "\(filesystem): RENAME_NOREPLACE \(renameNoReplace ? "yes" : "no"), RENAME_EXCHANGE \(renameExchange ? "yes" : "no"), "
            + "hard links \(hardLinks ? "yes" : "no"), O_APPEND \(appendWrites ? "yes" : "no")"
    }
}
