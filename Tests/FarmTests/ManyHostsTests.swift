import FakeGemini
import Foundation
import Imaging
import Synchronization
import SystemSupport
import TestSupport
import Testing

/// Counts how often the fake API was asked for each prompt.
final class PromptCounts: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func add(_ prompt: String) { counts.withLock { $0[prompt, default: 0] += 1 } }
    var all: [String: Int] { counts.withLock { $0 } }

    /// One line on the test's output with what the fake API was asked, for the figures a closing note
    /// quotes (asserted separately).
    func report(_ test: String, _ extra: String = "") {
        let counts = all
        print(
            "observed at the fake API [\(test)]: \(counts.values.reduce(0, +)) requests for \(counts.count) prompts, at most \(counts.values.max() ?? 0) per prompt\(extra)"
        )
    }
}

/// Several hosts on one network volume (issue 11), with sshfs mounts of one folder standing for the
/// hosts: FUSE mounts share no locks and cache listings and attributes, as between real hosts. A
/// daemon started in a PID namespace of its own cannot see its peers' processes either, as on another
/// machine, so only the lease can tell whether it lives.
@Suite(
    .serialized,
    .enabled(
        if: SSHFSVolume.unavailable == nil,
        "sshfs volumes cannot be made here (no /dev/fuse, or sshfs / openssh-server missing: .ci/setup test installs them)"
    )
)
struct ManyHostsTests {
    static let jpeg = try! PlaceholderCard(
        sceneNumber: 1,
        prompt: "farm",
        style: "photorealistic",
        width: 1376,
        height: 768,
        format: .jpeg
    ).render()
    /// Short leases, so a dead peer is found in seconds.
    static let lease = ["--lease-renew", "300ms", "--lease-timeout", "3s"]
    /// Another process table: a stand-in for another machine. `--mount-proc` needs a mount namespace, whose
    /// default is to make `/` private recursively, which fails (EINVAL) where `/` is not a mount point, as in a
    /// chroot or some containers. `--propagation unchanged` skips that: unshare then makes only `/proc`
    /// private before it mounts the new proc there, so nothing of the child's shows in the parent's mounts.
    static let otherHost = ["unshare", "--pid", "--fork", "--mount-proc", "--propagation", "unchanged"]

    func environment(_ server: FakeGeminiServer) -> [String: String] {
        ["SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey]
    }

    func emulator(latency: Duration, prompts: PromptCounts) -> GeminiEmulator {
        GeminiEmulator { call in
            prompts.add(call.prompt)
            return GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg", delay: latency)
        }
    }

    /// Host A, in a process table of its own, holding the claims of `count` manifests `<prefix>1`… that
    /// were written on the server.
    /// Its requests may take long (a paused host reads its answers when it goes on, not a retry later).
    func hostHoldingClaims(
        _ volume: SSHFSVolume,
        _ server: FakeGeminiServer,
        logs: String,
        prefix: String,
        count: Int
    ) async throws -> WatchDaemon {
        try FileSystem.makeDirectories(volume.shared + "/farm/inbox")
        let a = try await WatchDaemon.start(
            volume.mounts[0] + "/farm",
            Self.lease + ["--request-timeout", "600s"],
            name: "host-a",
            environment: environment(server),
            logDirectory: logs,
            wrapper: Self.otherHost
        )
        for index in 1...count {
            try dropFile(
                volume.shared + "/farm/inbox/\(prefix)\(index).json",
                manifestJSON(session: "\(prefix)\(index)", prompt: "\(prefix) \(index)")
            )
        }
        try await a.waitForLog(.manifestClaimed, count: count, timeout: .seconds(120))
        return a
    }

    /// Each daemon's publishes, once its log has them all.
    func publishes(_ daemons: [WatchDaemon], total: Int) async throws -> [String] {
        try await waitUntil("\(total) publishes logged", timeout: .seconds(60)) {
            daemons.flatMap(\.publishes).count >= total
        }
        return daemons.flatMap(\.publishes).sorted()
    }

    /// On an sshfs mount the start-up says that pickup can lag by the mount's directory cache, and which options
    /// make it prompt (issue 21, point 10): a file written by another client was claimed 17 s late, and only the
    /// README said why.
    @Test func anSSHFSInboxSaysHowToMakePickupPrompt() async throws {
        try await withSSHFSVolume(mounts: 1) { volume in
            try await withTemporaryDirectory { logs in
                try FileSystem.makeDirectories(volume.shared + "/farm/inbox")
                let daemon = try await WatchDaemon.start(
                    volume.mounts[0] + "/farm",
                    Self.lease,
                    name: "host",
                    logDirectory: logs
                )
                let line = try #require(
                    daemon.process.logRecords(.mountCachesOtherClients).first
                )
                #expect(line["scenedrop.mount_type"] == "fuse.sshfs")
                #expect(line["scenedrop.hint"]?.contains("dir_cache=no") == true, "\(line)")
                #expect(try await daemon.stop() == 0)
            }
        }
    }

    @Test func twoHostsOnOneVolumeGenerateEachPromptOnce() async throws {
        let prompts = PromptCounts()
        let emulator = emulator(latency: .seconds(1), prompts: prompts)
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withSSHFSVolume(mounts: 2) { volume in
                try await withTemporaryDirectory { logs in
                    try FileSystem.makeDirectories(volume.shared + "/farm/inbox")
                    let a = try await WatchDaemon.start(
                        volume.mounts[0] + "/farm",
                        Self.lease,
                        name: "host-a",
                        environment: environment(server),
                        logDirectory: logs
                    )
                    let b = try await WatchDaemon.start(
                        volume.mounts[1] + "/farm",
                        Self.lease,
                        name: "host-b",
                        environment: environment(server),
                        logDirectory: logs
                    )
                    // Written on the server, behind both mounts' backs: only their rescans can find these.
                    for index in 1...12 {
                        try dropFile(
                            volume.shared + "/farm/inbox/m\(index).json",
                            manifestJSON(session: "m\(index)", scenes: 2, prompt: "farm \(index)")
                        )
                    }
                    let sessions = try await waitForSessions(
                        volume.shared + "/farm/outbox",
                        count: 12,
                        timeout: .seconds(180)
                    )
                    #expect(Set(sessions.map(\.name)) == Set((1...12).map { "m\($0)" }))
                    #expect(
                        try await publishes([a, b], total: 12) == (1...12).map { "m\($0)" }.sorted(),
                        "each session published once"
                    )
                    let counts = prompts.all
                    prompts.report("two hosts", "; published by A \(a.publishes.count), by B \(b.publishes.count)")
                    #expect(
                        counts.count == 24 && counts.values.allSatisfy { $0 == 1 },
                        "each prompt generated once: \(counts.values.sorted())"
                    )
                    for daemon in [a, b] {
                        #expect(
                            daemon.process.logRecords(.deadInstanceClaimsReturned).isEmpty,
                            "no live peer taken for dead"
                        )
                        let volumeLine = daemon.process.logRecords(.volumeProbed).first
                        #expect(
                            volumeLine?["scenedrop.volume"]?.hasPrefix("fuse") == true,
                            "\(String(describing: volumeLine))"
                        )
                    }
                    #expect(try await a.stop() == 0)
                    #expect(try await b.stop() == 0)
                    #expect(
                        listNames(volume.shared + "/farm/.scenedrop/work").isEmpty,
                        "both leases and folders gone after a clean stop"
                    )
                }
            }
        }
    }

    /// A host dies with claims in hand: its peer, which cannot see its process, returns them after the
    /// lease timeout, and every session is published exactly once.
    @Test func killNineOfOneHostItsPeerRecoversAfterTheLease() async throws {
        let prompts = PromptCounts()
        let emulator = emulator(latency: .seconds(4), prompts: prompts)
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withSSHFSVolume(mounts: 2) { volume in
                try await withTemporaryDirectory { logs in
                    let a = try await hostHoldingClaims(volume, server, logs: logs, prefix: "k", count: 4)
                    let b = try await WatchDaemon.start(
                        volume.mounts[1] + "/farm",
                        Self.lease,
                        name: "host-b",
                        environment: environment(server),
                        logDirectory: logs
                    )
                    a.process.signal(SIGKILL)
                    _ = try await a.process.waitForExit(timeout: .seconds(30))
                    let recovery = try #require(
                        try await b.waitForLog(.deadInstanceClaimsReturned, timeout: .seconds(120)).first
                    )
                    #expect(
                        recovery["scenedrop.reason"]?.contains("lease counter stayed at") == true,
                        "by the lease, not a process table: \(recovery)"
                    )
                    let sessions = try await waitForSessions(
                        volume.shared + "/farm/outbox",
                        count: 4,
                        timeout: .seconds(180)
                    )
                    #expect(Set(sessions.map(\.name)) == ["k1", "k2", "k3", "k4"])
                    #expect(
                        try await publishes([a, b], total: 4) == ["k1", "k2", "k3", "k4"],
                        "each published exactly once"
                    )
                    prompts.report("kill -9", "; published by A \(a.publishes.count), by B \(b.publishes.count)")
                    #expect(try await b.stop() == 0)
                    #expect(
                        claimsInWork(volume.shared + "/farm") == 0 && listNames(volume.shared + "/farm/inbox").isEmpty
                    )
                }
            }
        }
    }

    /// A host paused for longer than the lease: its peer takes its claims and publishes; when it goes
    /// on, its fence finds each claim gone and it publishes nothing stale.
    @Test func aHostPausedPastTheLeasePublishesNothingStale() async throws {
        let prompts = PromptCounts()
        let emulator = emulator(latency: .seconds(5), prompts: prompts)
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withSSHFSVolume(mounts: 2) { volume in
                try await withTemporaryDirectory { logs in
                    let a = try await hostHoldingClaims(volume, server, logs: logs, prefix: "p", count: 2)
                    a.process.signal(SIGSTOP)
                    let b = try await WatchDaemon.start(
                        volume.mounts[1] + "/farm",
                        Self.lease,
                        name: "host-b",
                        environment: environment(server),
                        logDirectory: logs
                    )
                    try await b.waitUntil("host B publishing both", timeout: .seconds(180)) { b.publishes.count == 2 }
                    a.process.signal(SIGCONT)
                    try await a.waitForLog(.claimLostToPeer, count: 2, timeout: .seconds(240))
                    prompts.report("SIGSTOP", "; published by A \(a.publishes.count), by B \(b.publishes.count)")
                    #expect(a.publishes.isEmpty, "nothing stale published")
                    #expect(Set(b.publishes) == ["p1", "p2"])
                    let sessions = try publishedSessions(volume.shared + "/farm/outbox")
                    #expect(
                        Set(sessions.map(\.name)) == ["p1", "p2"]
                            && listNames(volume.shared + "/farm/outbox/.staging", hidden: true).isEmpty
                    )
                    #expect(try await a.stop() == 0)
                    #expect(try await b.stop() == 0)
                    #expect(
                        claimsInWork(volume.shared + "/farm") == 0 && listNames(volume.shared + "/farm/inbox").isEmpty
                    )
                }
            }
        }
    }

    /// Two hosts, a budget of five images, twenty paid scenes, no coordinator: at most five plus the
    /// requests in flight are paid, and each host's ledger holds only whole lines. The mounts keep no
    /// attribute cache of sshfs's own (`cache=no`): with it, another host's spending shows up to about a
    /// second late, and the bound widens by what was paid meanwhile (the README says so).
    @Test func aBudgetAcrossTwoHostsIsOffByAtMostTheRequestsInFlight() async throws {
        let prompts = PromptCounts()
        let emulator = emulator(latency: .milliseconds(300), prompts: prompts)
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withSSHFSVolume(mounts: 2, options: ["cache=no"]) { volume in
                try await withTemporaryDirectory { logs in
                    try FileSystem.makeDirectories(volume.shared + "/farm/inbox")
                    // Five images of the draft model (3.1 Flash Lite, $0.0336 each); two requests in flight per host.
                    let options = Self.lease + ["--daily-budget-usd", "0.168", "--concurrency", "2"]
                    let a = try await WatchDaemon.start(
                        volume.mounts[0] + "/farm",
                        options,
                        name: "host-a",
                        environment: environment(server),
                        logDirectory: logs
                    )
                    let b = try await WatchDaemon.start(
                        volume.mounts[1] + "/farm",
                        options,
                        name: "host-b",
                        environment: environment(server),
                        logDirectory: logs
                    )
                    for index in 1...10 {
                        try dropFile(
                            volume.shared + "/farm/inbox/b\(index).json",
                            manifestJSON(session: "b\(index)", scenes: 2, prompt: "budget \(index)")
                        )
                    }
                    _ = try await waitForSessions(volume.shared + "/farm/outbox", count: 10, timeout: .seconds(180))
                    let lines = ledgerLines(volume.shared + "/farm")
                    let files = listNames(volume.shared + "/farm/.scenedrop/ledger")
                    let raw = files.map {
                        String(decoding: readFile(volume.shared + "/farm/.scenedrop/ledger/" + $0) ?? [], as: UTF8.self)
                    }
                    #expect(raw.allSatisfy { $0.isEmpty || $0.hasSuffix("\n") }, "whole lines only")
                    #expect(
                        raw.map { $0.split(separator: "\n").count }.reduce(0, +) == lines.count,
                        "every line parses"
                    )
                    prompts.report("budget without coordinator", "; ledger lines \(lines.count)")
                    #expect(
                        lines.count >= 5 && lines.count <= 5 + 2 * 2,
                        "\(lines.count) paid: the budget's five plus at most the four in flight"
                    )
                    #expect(prompts.all.values.reduce(0, +) == lines.count, "every request paid for is in a ledger")
                    #expect(try await a.stop() == 0)
                    #expect(try await b.stop() == 0)
                }
            }
        }
    }

    /// A farm started everywhere at once on a folder that does not exist yet: each host makes the same
    /// tree at the same moment through its own mount, and each must start (no ENOENT from a folder
    /// the other host has just made).
    @Test func hostsStartingAtOnceOnAnEmptyRootAllStart() async throws {
        try await withSSHFSVolume(mounts: 2) { volume in
            try await withTemporaryDirectory { logs in
                for round in 1...10 {
                    async let a = WatchDaemon.start(
                        volume.mounts[0] + "/new-\(round)/farm",
                        Self.lease,
                        name: "a-\(round)",
                        logDirectory: logs
                    )
                    async let b = WatchDaemon.start(
                        volume.mounts[1] + "/new-\(round)/farm",
                        Self.lease,
                        name: "b-\(round)",
                        logDirectory: logs
                    )
                    let daemons = try await [a, b]
                    for daemon in daemons { #expect(try await daemon.stop() == 0) }
                }
            }
        }
    }
}
