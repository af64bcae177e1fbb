import Foundation
import SystemSupport

/// The package root, for the samples the README points newcomers at.
package let packageRoot: String = {
    var path = #filePath
    for _ in 0..<3 { path = FileSystem.parentPath(path) }
    return path
}()

/// `scenedrop watch` on a root, with JSON logs so tests can count what it did.
package struct WatchDaemon {
    package let root: String
    package let process: SceneDropProcess

    package static func start(
        _ root: String,
        _ extra: [String] = [],
        name: String = "watch",
        waitForWatch: Bool = true,
        environment: [String: String] = [:],
        logDirectory: String? = nil,
        wrapper: [String] = []
    ) async throws -> WatchDaemon {
        let logs = logDirectory ?? root + "/logs"
        try FileSystem.makeDirectories(logs)
        let process = try SceneDropProcess(
            ["watch", "--root", root, "--log-format", "json"] + extra,
            logDirectory: logs,
            name: name,
            environment: environment,
            wrapper: wrapper
        )
        let daemon = WatchDaemon(root: root, process: process)
        if waitForWatch {
            try await TestSupport.waitUntil("the daemon's inbox watch (log: \(process.stderrPath))") {
                guard process.isRunning else { throw DaemonExited(stderr: process.stderr) }
                return !process.logRecords(.inboxWatchInPlace).isEmpty
            }
        }
        return daemon
    }

    package var inbox: String { root + "/inbox" }
    package var outbox: String { root + "/outbox" }
    package var quarantine: String { root + "/quarantine" }

    /// Sessions this daemon logged as published.
    package var publishes: [String] { process.logRecords(.sessionPublished).compactMap { $0["scenedrop.session"] } }

    /// Like `waitUntil`, but a timeout carries the end of the daemon's log.
    package func waitUntil(
        _ what: String,
        timeout: Duration = defaultWaitTimeout,
        _ condition: () throws -> Bool
    ) async throws {
        do {
            try await TestSupport.waitUntil(what, timeout: timeout, condition)
        } catch let error as TimedOut {
            throw TimedOut(what: error.what + "\n--- daemon log (end) ---\n" + String(process.stderr.suffix(3000)))
        }
    }

    /// Waits until the daemon has logged `message` at least `count` times (counting only records
    /// that `matching` accepts), then returns those records. Every test that waits on the log goes
    /// through here, so a timeout always names the message and carries the end of the log.
    @discardableResult
    package func waitForLog(
        _ message: DaemonLog,
        count: Int = 1,
        timeout: Duration = defaultWaitTimeout,
        matching: ([String: String]) -> Bool = { _ in true }
    ) async throws -> [[String: String]] {
        var records: [[String: String]] = []
        try await waitUntil("\(count) log record(s) \"\(message.rawValue)\"", timeout: timeout) {
            records = process.logRecords(message).filter(matching)
            return records.count >= count
        }
        return records
    }

    /// Full inbox rescans so far (needs `--log-level debug`).
    package var rescans: Int { process.logRecords(.inboxRescanned).count }

    /// Waits until `count` more rescans have happened than now: everything in the inbox has been
    /// looked at at least `count - 1` times since.
    package func waitForRescans(_ count: Int, timeout: Duration = .seconds(60)) async throws {
        let target = rescans + count
        try await waitUntil("\(count) more inbox rescans", timeout: timeout) { rescans >= target }
    }

    /// SIGTERM, then the exit status.
    package func stop(timeout: Duration = .seconds(60)) async throws -> Int32 {
        process.signal(SIGTERM)
        return try await process.waitForExit(timeout: timeout)
    }
}

package struct DaemonExited: Error, CustomStringConvertible {
    package var stderr: String

    package init(stderr: String) {
        self.stderr = stderr
    }

    package var description: String { "the daemon exited early:\n\(stderr)" }
}

/// Waits until `count` sessions are published (each complete, checked as it appears), then returns them.
///
/// Each poll checks only the folders that are new since the last one: re-reading every session.json
/// each time (2,000 of them in the burst test) kept the cooperative pool busy enough to stall the
/// other tests in the process.
@discardableResult
package func waitForSessions(
    _ outbox: String,
    count: Int,
    timeout: Duration = .seconds(120)
) async throws -> [PublishedSession] {
    var checked: Set<String> = []
    do {
        try await waitUntil("\(count) published sessions in \(outbox)", timeout: timeout, interval: .milliseconds(50)) {
            let names = listNames(outbox)
            let fresh = names.filter { !checked.contains($0) }
            _ = try publishedSessions(outbox, named: fresh)
            checked.formUnion(fresh)
            return names.count >= count
        }
    } catch let error as TimedOut {
        let root = FileSystem.parentPath(outbox)
        let work = root + "/.scenedrop/work"
        let claims = listNames(work).map { entry in
            entry
                + ((try? FileSystem.info(work + "/" + entry))??.kind == .directory
                    ? ": \(listNames(work + "/" + entry).prefix(10))" : "")
        }
        throw TimedOut(
            what: error.what
                + "; published \(checked.count): \(checked.sorted().prefix(20)); inbox: \(listNames(root + "/inbox").prefix(20)); quarantine: \(listNames(root + "/quarantine").prefix(40)); work: \(claims)"
        )
    }
    return try publishedSessions(outbox)
}

/// Claims held in work/ by any instance.
/// The session names of the manifests claimed in work/ now (work names are `N~<file>.json`; the
/// test manifests are named after their sessions).
package func claimedSessionNames(_ root: String) -> Set<String> {
    var names: Set<String> = []
    for instance in listNames(root + "/.scenedrop/work") where !instance.hasSuffix(".lock") {
        for file in listNames(root + "/.scenedrop/work/" + instance, hidden: true) {
            guard let cut = file.firstIndex(of: "~") else { continue }
            names.insert(String(file[file.index(after: cut)...].dropLast(".json".count)))
        }
    }
    return names
}
