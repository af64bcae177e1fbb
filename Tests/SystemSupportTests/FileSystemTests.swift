import Foundation
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct FileSystemTests {
    @Test func sha256MatchesKnownVectors() {
        #expect(Digest.sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            Digest.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
        #expect(
            Digest.sha256Hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
        #expect(
            Digest.sha256Hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        )
    }

    @Test func removeTreeNeverFollowsLinks() async throws {
        try await withTemporaryDirectory { dir in
            try writeFile(dir + "/precious/keep.txt", "do not delete")
            try writeFile(dir + "/victim/a/b.txt", "x")
            #expect(symlink(dir + "/precious", dir + "/victim/link-to-dir") == 0)
            #expect(symlink(dir + "/precious/keep.txt", dir + "/victim/a/link-to-file") == 0)
            try FileSystem.removeTree(dir + "/victim")
            #expect(!FileSystem.exists(dir + "/victim"))
            #expect(readText(dir + "/precious/keep.txt") == "do not delete")
        }
    }

    @Test func renameNoReplaceRefusesToOverwrite() async throws {
        try await withTemporaryDirectory { dir in
            try writeFile(dir + "/a", "A")
            try writeFile(dir + "/b", "B")
            #expect(throws: SystemError.self) { try FileSystem.renameNoReplace(dir + "/a", dir + "/b") }
            #expect(readText(dir + "/b") == "B")
            try FileSystem.renameNoReplace(dir + "/a", dir + "/c")
            #expect(readText(dir + "/c") == "A")
        }
    }

    @Test func exchangeSwapsTwoFoldersAtomically() async throws {
        try await withTemporaryDirectory { dir in
            try writeFile(dir + "/old/v", "1")
            try writeFile(dir + "/new/v", "2")
            try FileSystem.exchange(dir + "/new", dir + "/old")
            #expect(readText(dir + "/old/v") == "2")
            #expect(readText(dir + "/new/v") == "1")
        }
    }

    @Test func readRegularFileRefusesLinksFIFOsAndLargeFiles() async throws {
        try await withTemporaryDirectory { dir in
            try writeFile(dir + "/big", [UInt8](repeating: 1, count: 2000))
            #expect(symlink("/etc/passwd", dir + "/link") == 0)
            #expect(mkfifo(dir + "/fifo", 0o644) == 0)
            #expect(throws: FileSystem.ReadError.self) { try FileSystem.readRegularFile(dir + "/big", limit: 1000) }
            #expect(throws: FileSystem.ReadError.self) { try FileSystem.readRegularFile(dir + "/link", limit: 1000) }
            // Opened non-blocking, so this returns at once instead of waiting for a writer.
            #expect(throws: FileSystem.ReadError.self) { try FileSystem.readRegularFile(dir + "/fifo", limit: 1000) }
            #expect(try FileSystem.readRegularFile(dir + "/big", limit: 2000).count == 2000)
        }
    }

    @Test func lockIsExclusiveUntilReleased() async throws {
        try await withTemporaryDirectory { dir in
            let first = try #require(try FileLock.tryLock(dir + "/x.lock"))
            #expect(try FileLock.tryLock(dir + "/x.lock") == nil)
            first.unlock()
            #expect(try FileLock.tryLock(dir + "/x.lock") != nil)
            #expect(try FileLock.tryLock(dir + "/missing.lock", create: false) == nil)
        }
    }

    @Test func transientErrorsAreTheMachinesFault() {
        #expect(SystemError(errno: ENOSPC, call: "write").isTransient)
        #expect(SystemError(errno: EACCES, call: "open").isTransient)
        #expect(SystemError(errno: EIO, call: "fsync").isTransient)
        #expect(!SystemError(errno: ENOENT, call: "open").isTransient)
        #expect(SystemError(errno: ENOSPC, call: "write", paths: ["/x"]).description.contains("/x"))
    }

    @Test func timestampsAreRFC3339UTC() {
        #expect(WallClock.rfc3339(0) == "1970-01-01T00:00:00Z")
        #expect(WallClock.rfc3339(1_795_000_000.25, fractionDigits: 3) == "2026-11-18T11:06:40.250Z")
        #expect(WallClock.compactStamp(1_795_000_000) == "20261118T110640Z")
    }
}

@Suite struct FilesystemKindTests {
    @Test func networkFilesystemsAreRecognisedByTheirStatfsMagic() {
        #expect(FilesystemKind(statfsType: 0x6969) == .network("nfs"))
        #expect(FilesystemKind(statfsType: 0xFF53_4D42) == .network("cifs"))
        #expect(FilesystemKind(statfsType: 0xFE53_4D42) == .network("smb2"))
        #expect(FilesystemKind(statfsType: 0x0102_1997) == .network("9p"))
        #expect(FilesystemKind(statfsType: 0x6573_5546) == .network("fuse"))
        #expect(FilesystemKind(statfsType: 0xEF53) == .local)  // ext4
        #expect(FilesystemKind(statfsType: 0x0102_1994) == .local)  // tmpfs
    }

    @Test func theTempFolderIsLocal() {
        #expect(!FileSystem.filesystemKind("/tmp").isNetwork)
    }
}

@Suite struct OpenFileProbeTests {
    /// Starts `sh -c script` and returns it; the caller stops it (or its deinit does).
    func shell(_ script: String) throws -> ChildProcess {
        try ChildProcess("sh", ["-c", script])
    }

    @Test func seesAnotherProcessWritingButNotReading() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/m.json"
            try writeFile(path, "{")
            #expect(!OpenFileProbe.isOpenForWriting(path))
            let writer = try shell("exec 3>>'\(path)'; touch '\(dir)/ready-w'; exec sleep 60")
            defer { writer.stopNow() }
            try await waitUntil("the writer to open the file") { FileSystem.exists(dir + "/ready-w") }
            #expect(OpenFileProbe.isOpenForWriting(path))
            await writer.stop()
            #expect(!OpenFileProbe.isOpenForWriting(path))
            let reader = try shell("exec 3<'\(path)'; touch '\(dir)/ready-r'; exec sleep 60")
            defer { reader.stopNow() }
            try await waitUntil("the reader to open the file") { FileSystem.exists(dir + "/ready-r") }
            #expect(!OpenFileProbe.isOpenForWriting(path))
        }
    }
}
