import ArgumentParser
import SceneDropCore

@main
struct SceneDrop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenedrop",
        abstract: "Turn scene manifests dropped in a folder into finished images.",
        discussion: """
            Drop a manifest (JSON: a session name and a list of scenes, each with an \
            image prompt) into <root>/inbox. SceneDrop claims it, makes one image per \
            scene, and publishes the images with their metadata as one folder, \
            <root>/outbox/<session>/, all at once. A manifest that cannot be processed \
            goes to <root>/quarantine/ with <name>.error.json saying why and where.

            Quick start:
              scenedrop watch --root /srv/scenes      run the daemon
              scenedrop validate my-manifest.json     check a manifest, generate nothing
              scenedrop status --root /srv/scenes     what waits, what is published,
                                                      what is quarantined (by name)
              scenedrop requeue --root /srv/scenes NAME
                                                      retry a quarantined manifest

            Durations are written like 90s, 15m, 12h or 7d. Exit codes: 0 success, \
            1 failure, 64 usage error.
            """,
        version: SceneDropVersion.current,
        subcommands: [Watch.self, Process.self, Validate.self, Cleanup.self, Requeue.self, Status.self, Models.self]
    )
}
