import ArgumentParser
import Outbox
import SceneDropCore

struct Requeue: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move quarantined manifests back to the inbox.",
        usage: "scenedrop requeue --root <dir> (<name> ... | --all)",
        discussion: """
            After fixing a manifest, or to retry it. `scenedrop status` lists the \
            quarantined names with their reasons.

            Examples:
              scenedrop requeue --root /srv/scenes bad-episode.json
              scenedrop requeue --root /srv/scenes --all
            """
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: ArgumentHelp("Quarantined manifest names (`scenedrop status` lists them).", valueName: "name"))
    var names: [String] = []

    @Flag(name: .long, help: "Requeue every quarantined manifest.")
    var all = false

    func validate() throws {
        if names.isEmpty && !all {
            throw ValidationError(
                "name the manifests to requeue, or pass --all (`scenedrop status --root DIR` lists the quarantined names)"
            )
        }
        if !names.isEmpty && all { throw ValidationError("pass names or --all, not both") }
    }

    func run() throws {
        let layout = common.layout
        let quarantine = Quarantine(directory: layout.quarantine)
        let targets = all ? quarantine.entries().map(\.name) : names
        var failed = false
        for name in targets {
            do {
                let moved = try quarantine.requeue(name, inbox: layout.inbox)
                printLine("requeued  \(moved)")
            } catch {
                failed = true
                printError("scenedrop requeue: \(error)")
            }
        }
        if all && targets.isEmpty { printLine("the quarantine is empty") }
        if failed { throw ExitCode.failure }
    }
}
