import Foundation
import Outbox
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SessionStagingTests {
    @Test func publishMovesTheWholeFolderAtOnce() async throws {
        try await withTemporaryDirectory { dir in
            let staging = try SessionStaging(outbox: dir, instanceID: "me", session: "s1")
            try staging.write("a.txt", Array("a".utf8))
            #expect(!FileSystem.exists(dir + "/s1"))
            #expect(try staging.publish() == .created)
            #expect(readText(dir + "/s1/a.txt") == "a")
            #expect(listNames(dir + "/.staging", hidden: true).isEmpty)
        }
    }

    @Test func republishReplacesInOneStepAndRemovesTheOld() async throws {
        try await withTemporaryDirectory { dir in
            let first = try SessionStaging(outbox: dir, instanceID: "me", session: "s1")
            try first.write("session.json", Array("1".utf8))
            try first.write("only-old.txt", Array("x".utf8))
            _ = try first.publish()
            let second = try SessionStaging(outbox: dir, instanceID: "me", session: "s1")
            try second.write("session.json", Array("2".utf8))
            #expect(try second.publish() == .replaced)
            #expect(readText(dir + "/s1/session.json") == "2")
            #expect(!FileSystem.exists(dir + "/s1/only-old.txt"))
            #expect(listNames(dir + "/.staging", hidden: true).isEmpty)
        }
    }

    @Test func stagingNamesCarryTheInstance() throws {
        #expect(SessionStaging.instanceID(ofStagingName: "host-1-ab~s1~xyz") == "host-1-ab")
        #expect(SessionStaging.instanceID(ofStagingName: ".trash-s1-1") == nil)
        #expect(SessionStaging.instanceID(ofStagingName: "foreign") == nil)
    }
}

@Suite struct QuarantineTests {
    func report() -> QuarantineReport {
        QuarantineReport(
            file: "x",
            reason: "invalid_json",
            message: "bad",
            errors: [Issue(path: "", message: "bad", line: 1, column: 2)],
            line: 1,
            column: 2,
            quarantinedAt: "t",
            host: "h"
        )
    }

    @Test func admitWritesTheReportAndAvoidsNameClashes() async throws {
        try await withTemporaryDirectory { dir in
            let q = Quarantine(directory: dir + "/q")
            try writeFile(dir + "/w1", "one")
            try writeFile(dir + "/w2", "two")
            #expect(
                try q.admit(dir + "/w1", originalName: "bad.json", report: report(), now: 1_795_000_000) == "bad.json"
            )
            let second = try q.admit(dir + "/w2", originalName: "bad.json", report: report(), now: 1_795_000_000)
            #expect(second == "bad.20261118T110640Z.json")
            #expect(readText(dir + "/q/bad.json") == "one")
            #expect(readText(dir + "/q/" + second) == "two")
            let written = try #require(jsonObject(dir + "/q/" + second + ".error.json"))
            #expect(written["schema"] as? String == "scenedrop.quarantine/v1")
            #expect(written["file"] as? String == second)
            #expect(written["reason"] as? String == "invalid_json")
            #expect(q.entries().map(\.name) == ["bad.20261118T110640Z.json", "bad.json"])
        }
    }

    /// A manifest keeps the mtime it was dropped with, which can be days before it was quarantined: `status`
    /// (through `entries()`) and `cleanup` must both age it from the quarantine, or `status` reports an entry
    /// old enough to go that `cleanup` keeps.
    @Test func anEntryIsAgedFromItsQuarantineNotFromItsDrop() async throws {
        try await withTemporaryDirectory { dir in
            let now = WallClock.now()
            let q = Quarantine(directory: dir + "/q")
            try writeFile(dir + "/w", "m")
            var dropped = [
                timespec(tv_sec: Int(now) - 10 * 86_400, tv_nsec: 0),
                timespec(tv_sec: Int(now) - 10 * 86_400, tv_nsec: 0),
            ]
            #expect(utimensat(AT_FDCWD, dir + "/w", &dropped, 0) == 0)
            _ = try q.admit(dir + "/w", originalName: "m.json", report: report(), now: now)

            let entry = try #require(q.entries().first)
            #expect(abs(entry.quarantinedSince - now) < 60)
            #expect(entry.info.mtimeSeconds < now - 9 * 86_400)

            let cleaner = Cleaner(
                folders: .init(outbox: dir + "/outbox", quarantine: dir + "/q", cache: dir + "/cache"),
                policy: RetentionPolicy(sessionMaxAge: nil, quarantineMaxAge: 7 * 86_400, cacheMaxAge: nil),
                isInstanceAlive: { _ in false }
            )
            #expect(cleaner.run(now: now, dryRun: true).removed.isEmpty)

            var quarantined = [
                timespec(tv_sec: Int(now) - 8 * 86_400, tv_nsec: 0),
                timespec(tv_sec: Int(now) - 8 * 86_400, tv_nsec: 0),
            ]
            #expect(utimensat(AT_FDCWD, dir + "/q/m.json.error.json", &quarantined, 0) == 0)
            #expect(abs(try #require(q.entries().first).quarantinedSince - (now - 8 * 86_400)) < 60)
            #expect(cleaner.run(now: now, dryRun: true).removed.map(\.name) == ["m.json"])
        }
    }

    @Test func requeueMovesBackAndDropsTheReport() async throws {
        try await withTemporaryDirectory { dir in
            let q = Quarantine(directory: dir + "/q")
            try writeFile(dir + "/w", "m")
            _ = try q.admit(dir + "/w", originalName: "m.json", report: report(), now: 0)
            #expect(try q.requeue("m", inbox: dir + "/inbox") == "m.json")
            #expect(readText(dir + "/inbox/m.json") == "m")
            #expect(listNames(dir + "/q").isEmpty)
            #expect(throws: Quarantine.RequeueError.self) { try q.requeue("m.json", inbox: dir + "/inbox") }
            #expect(throws: Quarantine.RequeueError.self) { try q.requeue("../inbox/m.json", inbox: dir + "/inbox") }
        }
    }
}

@Suite struct RetentionPolicyTests {
    let policy = RetentionPolicy(sessionMaxAge: 100, quarantineMaxAge: 50, cacheMaxAge: nil)

    @Test func agesEachKindByItsOwnLimit() {
        #expect(policy.decide(.init(kind: .session, name: "a", modified: 0), now: 101) == .remove)
        #expect(
            policy.decide(.init(kind: .session, name: "a", modified: 0), now: 100) == .keep("younger than the limit")
        )
        #expect(policy.decide(.init(kind: .quarantine, name: "a", modified: 0), now: 51) == .remove)
        #expect(policy.decide(.init(kind: .cache, name: "a", modified: 0), now: 1e9) == .keep("no age limit set"))
    }

    @Test func pinsLinksAndLiveWorkAreKept() {
        #expect(
            policy.decide(.init(kind: .session, name: "a", modified: 0, pinned: true), now: 1e9)
                == .keep("pinned by .keep")
        )
        #expect(
            policy.decide(.init(kind: .session, name: "a", modified: 0, unmanaged: "link"), now: 1e9) == .keep("link")
        )
        #expect(
            policy.decide(.init(kind: .staging, name: "a", modified: 1e9, busy: true), now: 1e9)
                == .keep("in use by a running instance")
        )
        #expect(policy.decide(.init(kind: .staging, name: "a", modified: 1e9), now: 1e9) == .remove)
    }

    @Test func futureTimestampsAreNew() {
        #expect(
            policy.decide(.init(kind: .session, name: "a", modified: 2e9), now: 1e9) == .keep("younger than the limit")
        )
    }
}

@Suite struct CleanerTests {
    func session(_ outbox: String, _ name: String, age: Double, now: Double) throws {
        try writeFile(outbox + "/\(name)/scene-001.png", "png")
        try writeFile(outbox + "/\(name)/session.json", "{}")
        var times = [timespec(tv_sec: Int(now - age), tv_nsec: 0), timespec(tv_sec: Int(now - age), tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, outbox + "/\(name)/session.json", &times, 0) == 0)
    }

    @Test func removesOldKeepsYoungPinnedAndNeverFollowsLinks() async throws {
        try await withTemporaryDirectory { dir in
            let now = WallClock.now()
            let outbox = dir + "/outbox"
            try session(outbox, "old", age: 10 * 86_400, now: now)
            try session(outbox, "young", age: 3600, now: now)
            try session(outbox, "pinned", age: 10 * 86_400, now: now)
            try writeFile(outbox + "/pinned/.keep", "")
            try writeFile(dir + "/elsewhere/precious.txt", "keep me")
            #expect(symlink(dir + "/elsewhere", outbox + "/linked") == 0)
            try writeFile(outbox + "/not-ours/file.txt", "x")
            try writeFile(outbox + "/.staging/dead-instance~s~1/scene-001.png", "partial")
            try writeFile(outbox + "/.staging/live-instance~s~2/scene-001.png", "in progress")

            let cleaner = Cleaner(
                folders: .init(outbox: outbox, quarantine: dir + "/q", cache: dir + "/cache"),
                policy: RetentionPolicy(
                    sessionMaxAge: 7 * 86_400,
                    quarantineMaxAge: 7 * 86_400,
                    cacheMaxAge: 30 * 86_400
                ),
                isInstanceAlive: { $0 == "live-instance" }
            )

            let dry = cleaner.run(now: now, dryRun: true)
            #expect(Set(dry.removed.map(\.name)) == ["old", "dead-instance~s~1"])
            #expect(FileSystem.exists(outbox + "/old/session.json"))
            #expect(FileSystem.exists(outbox + "/.staging/dead-instance~s~1"))

            let real = cleaner.run(now: now, dryRun: false)
            #expect(Set(real.removed.map(\.name)) == ["old", "dead-instance~s~1"])
            #expect(real.errors.isEmpty)
            #expect(listNames(outbox) == ["linked", "not-ours", "pinned", "young"])
            #expect(readText(dir + "/elsewhere/precious.txt") == "keep me")
            #expect(listNames(outbox + "/.staging", hidden: true) == ["live-instance~s~2"])
            let reasons = Dictionary(uniqueKeysWithValues: real.kept.map { ($0.name, $0.reason) })
            #expect(reasons["pinned"] == "pinned by .keep")
            #expect(reasons["linked"]?.contains("symbolic link") == true)
            #expect(reasons["not-ours"]?.contains("no session.json") == true)
        }
    }
}

@Suite struct MetadataCodingTests {
    @Test func keysKeepTheContractOrderAndNullsAreExplicit() throws {
        let meta = SceneMetadata(
            session: "s",
            sceneNumber: 1,
            image: .init(file: "scene-001.png", format: "png", width: 2, height: 2, bytes: 3, sha256: "ab"),
            prompt: .init(
                original: "a \"quoted\"\nline",
                enhanced: "e",
                negative: nil,
                style: "anime",
                aspectRatio: "1:1"
            ),
            provider: "placeholder",
            model: nil,
            imageSize: nil,
            costUSD: 0.101,
            cacheHit: false,
            attempts: 1,
            latencyMS: 5,
            fallback: .init(reason: "no_api_key", tried: []),
            createdAt: "t"
        )
        let text = String(decoding: try MetadataCoding.encode(meta), as: UTF8.self)
        #expect(
            text.hasPrefix("{\n  \"schema\": \"scenedrop.scene/v1\",\n  \"session\": \"s\",\n  \"scene_number\": 1,")
        )
        #expect(text.contains("\"model\": null"))
        #expect(text.contains("\"negative\": null"))
        #expect(text.contains("\"cost_usd\": 0.101"))
        #expect(text.contains("\"tried\": []"))
        #expect(text.contains(#""original": "a \"quoted\"\nline""#))
        let back = try MetadataCoding.decode(SceneMetadata.self, from: Array(text.utf8))
        #expect(back == meta)
    }

    /// session.json carries a manifest's warnings, and a hostile manifest can have tens of thousands:
    /// appending each one used to copy the whole array (60,000 warnings: 20 s of a cooperative thread).
    /// The time is printed, not asserted (under the parallel suite it measures the machine).
    @Test func longArraysEncodeInLinearTime() async throws {
        struct Warning: Encodable, Sendable {
            var path: String
            var line: Int
        }
        let warnings = (0..<5_000).map { Warning(path: "k\($0)", line: $0) }
        let started = ContinuousClock.now
        let bytes = try await onOwnThread { try MetadataCoding.encode(["warnings": warnings]) }
        let elapsed = ContinuousClock.now - started
        print("5,000 array elements encoded in \(elapsed)")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\"path\": \"k4999\""))
        #expect(text.components(separatedBy: "\"path\"").count == 5_001)
    }
}
