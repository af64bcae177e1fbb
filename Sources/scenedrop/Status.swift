import ArgumentParser
import Coordination
import Foundation
import ImageGeneration
import Logging
import Outbox
import SceneDropCore
import Spend
import SystemSupport

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what is waiting, claimed, published and quarantined.",
        usage: "scenedrop status --root <dir> [--json | --http]",
        discussion: """
            Counts and oldest ages of inbox, work, outbox and quarantine, the \
            instances on the root, today's spend, the last sessions, and every \
            quarantined manifest by the name `scenedrop requeue` takes, with its \
            reason. With --coordinator (or SCENEDROP_COORDINATOR), also the fleet: \
            every instance registered with the coordinator, live or lost, and \
            today's spend and reservations across all of them. Exit status 1 when \
            the inbox cannot be read (a wrong --root) or the coordinator cannot be \
            reached.
            """
    )

    @OptionGroup var common: CommonOptions

    @OptionGroup var coordination: CoordinatorOptions

    @Flag(name: .long, help: "Print the status as JSON.")
    var json = false

    @Flag(
        name: .long,
        help:
            "Print only the URL of the running daemon's web view (with its token, when this user can read the token file)."
    )
    var http = false

    func run() async throws {
        let layout = common.layout
        if http {
            printLine(try WebViewURL.find(layout))
            return
        }
        if (try? FileSystem.info(layout.inbox))?.kind == .symlink {
            printError(
                "scenedrop status: the inbox \(layout.inbox) is a symbolic link (to \(FileSystem.resolvingLink(layout.inbox))): "
                    + "nothing is read through it, and a running daemon takes no file from it; make it a folder again"
            )
            throw ExitCode.failure
        }
        let report: StatusReport
        do {
            report = try StatusReport.gather(layout, now: WallClock.now())
        } catch  where error.errno == ENOENT {
            printError(
                "scenedrop status: there is no inbox at \(layout.inbox): is --root right? (watch and process create the folders)"
            )
            throw ExitCode.failure
        } catch {
            printError("scenedrop status: the inbox cannot be read: \(error)")
            throw ExitCode.failure
        }
        let fleet = try await readFleet()
        if json {
            try printJSON(StatusWithFleet(report: report, fleet: fleet))
            if report.inboxChanged != nil { throw ExitCode.failure }
            return
        }
        if let changed = report.inboxChanged {
            printError(
                "scenedrop status: not ready: the inbox changed since start, and no file is taken from it: \(changed)"
            )
        }
        printReport(report)
        if let fleet { Self.printFleet(fleet) }
        if report.inboxChanged != nil { throw ExitCode.failure }
    }

    func printReport(_ report: StatusReport) {
        func line(_ label: String, _ folder: StatusReport.Folder, _ noun: String) {
            let oldest = folder.oldestAgeSeconds.map { ", oldest \(Self.age($0))" } ?? ""
            printLine("\(label.padding(11)) \(String(folder.count).padding(5)) \(noun)\(oldest)  \(folder.path)")
        }
        line("inbox", report.inbox, "waiting")
        line("work", report.work, "claimed")
        line("outbox", report.outbox, "sessions")
        line("quarantine", report.quarantine, "manifests")
        printLine("spent today \(String(format: "$%.4f", report.spentTodayUSD)) (UTC day, from the ledger)")
        for retired in report.retiredModels {
            printLine(
                "model       \(retired.model): daily quota spent (\(retired.reason)), back at \(retired.until) (midnight Pacific time)"
            )
        }
        for job in report.batchJobs {
            printLine(
                "batch job   \(job.job ?? "(being submitted)") for \(job.session): \(job.state), \(job.scenes) scene(s), \(job.model), submitted \(Self.age(job.ageSeconds)) ago"
            )
        }
        for instance in report.instances {
            let lease =
                instance.leaseCounter.map { ", lease \($0) renewed \(instance.leaseRenewedAt ?? "?") by its clock" }
                ?? ""
            let state =
                instance.alive
                ? "running" + (instance.host.map { " on \($0)" } ?? "")
                : "dead: its claims return at the next start or rescan"
            printLine("instance    \(instance.id) (\(state), \(instance.claims) claim(s)\(lease))")
        }
        if !report.lastSessions.isEmpty {
            printLine("last sessions:")
            for s in report.lastSessions {
                printLine(
                    "  \(s.session.padding(32)) \(s.finishedAt)  \(s.scenes) scene(s), \(s.fallbacks) fallback(s), $\(String(format: "%.3f", s.costUSD))"
                )
            }
        }
        if !report.quarantined.isEmpty {
            printLine("quarantined (fix, then: scenedrop requeue --root \(common.root ?? "DIR") NAME):")
            let shown = 20
            for entry in report.quarantined.prefix(shown) {
                printLine(
                    "  \(entry.name.padding(32)) \(entry.reason ?? "no report")\(entry.message.map { ": \($0)" } ?? "")"
                )
            }
            if report.quarantined.count > shown {
                printLine("  … and \(report.quarantined.count - shown) more (--json lists all)")
            }
        }
    }

    /// The fleet from the coordinator, when one is named; a coordinator that cannot be reached is an error.
    func readFleet() async throws -> FleetReport? {
        guard let address = try coordination.address() else { return nil }
        do {
            // Silent: a failure is said once, below, on stderr; stdout stays the report (or its JSON).
            let quiet = Logger(label: "scenedrop", factory: { _ in SwiftLogNoOpLogHandler() })
            return try await PostgresCoordinator.fleet(
                at: address,
                day: CostLedger.day(at: WallClock.now()),
                logger: quiet
            )
        } catch {
            printError(
                "scenedrop status: the coordinator at \(address) cannot be reached (\(error.message)): check that PostgreSQL runs there and lets this user in"
            )
            throw ExitCode.failure
        }
    }

    static func printFleet(_ fleet: FleetReport) {
        printLine("fleet       \(fleet.members.count) instance(s) registered with \(fleet.coordinator)")
        for member in fleet.members {
            let budget = member.dailyBudgetUSD.map { String(format: ", budget $%.4f", $0) } ?? ""
            printLine(
                "  \(member.instance.padding(24)) \(member.state.padding(5)) \(member.host) pid \(member.pid), renewed \(age(member.renewedAgoSeconds)) ago, \(member.sessionsInFlight) session(s) in flight, spent \(String(format: "$%.4f", member.spentTodayUSD))\(budget)  \(member.inbox)"
            )
        }
        printLine(
            "fleet today \(String(format: "$%.4f", fleet.spentTodayUSD)) spent on \(fleet.paidImagesToday) image(s), \(String(format: "$%.4f", fleet.reservedUSD)) reserved (UTC day \(fleet.day), from the coordinator)"
        )
    }

    /// Ages come from files' times and peers' clocks: saturating, never a trap.
    static func age(_ seconds: Double) -> String {
        switch seconds {
        case ..<120: return "\(Int(saturating: seconds))s"
        case ..<7200: return "\(Int(saturating: seconds / 60))m"
        case ..<172_800: return "\(Int(saturating: seconds / 3600))h"
        default: return "\(Int(saturating: seconds / 86_400))d"
        }
    }
}

/// `status --json`: the report's keys, and `fleet` when a coordinator is named.
struct StatusWithFleet: Encodable {
    let report: StatusReport
    let fleet: FleetReport?

    enum CodingKeys: String, CodingKey {
        case fleet
    }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        guard let fleet else { return }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(fleet, forKey: .fleet)
    }
}
