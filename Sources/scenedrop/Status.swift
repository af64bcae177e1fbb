import ArgumentParser
import Outbox
import Foundation
import SceneDropCore
import SystemSupport

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show counts and oldest ages of inbox, work, outbox and quarantine, and the last sessions."
    )

    @OptionGroup var common: CommonOptions

    @Flag(name: .long, help: "Print the status as JSON.")
    var json = false

    func run() throws {
        let report = StatusReport.gather(common.layout, now: WallClock.now())
        if json {
            try printJSON(report)
            return
        }
        func line(_ label: String, _ folder: StatusReport.Folder, _ noun: String) {
            let oldest = folder.oldestAgeSeconds.map { ", oldest \(Self.age($0))" } ?? ""
            print("\(label.padding(11)) \(String(folder.count).padding(5)) \(noun)\(oldest)  \(folder.path)")
        }
        line("inbox", report.inbox, "waiting")
        line("work", report.work, "claimed")
        line("outbox", report.outbox, "sessions")
        line("quarantine", report.quarantine, "manifests")
        print("spent today \(String(format: "$%.4f", report.spentTodayUSD)) (UTC day, from the ledger)")
        for instance in report.instances {
            print("instance    \(instance.id) (\(instance.alive ? "running" : "dead: its claims return at the next start or rescan"), \(instance.claims) claim(s))")
        }
        if !report.lastSessions.isEmpty {
            print("last sessions:")
            for s in report.lastSessions {
                print("  \(s.session.padding(32)) \(s.finishedAt)  \(s.scenes) scene(s), \(s.fallbacks) fallback(s), $\(String(format: "%.3f", s.costUSD))")
            }
        }
    }

    static func age(_ seconds: Double) -> String {
        switch seconds {
        case ..<120: return "\(Int(seconds))s"
        case ..<7200: return "\(Int(seconds / 60))m"
        case ..<172_800: return "\(Int(seconds / 3600))h"
        default: return "\(Int(seconds / 86_400))d"
        }
    }
}
