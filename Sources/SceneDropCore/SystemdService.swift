import Logging
import ServiceLifecycle
import SystemSupport

/// Tells systemd (`Type=notify`) how the daemon is: `READY=1` once the inbox watch is in place,
/// a one-line `STATUS=`, `WATCHDOG=1` at half the unit's `WatchdogSec` while the daemon runs, and
/// `STOPPING=1` as soon as graceful shutdown begins (it is the first service to stop).
struct SystemdService: Service {
    let notifier: SystemdNotifier
    let readiness: Readiness
    let intake: Intake
    let inbox: String
    let clock: MonotonicClock
    let logger: Logger

    /// STATUS= refreshes this often when there is no watchdog.
    static let statusInterval: Double = 10

    func run() async {
        await cancelWhenGracefulShutdown {
            await readiness.wait()
            guard !Task.isCancelled else { return }
            await send(["READY=1", "STATUS=" + (await status())])
            let interval = notifier.watchdogInterval?.seconds ?? Self.statusInterval
            while (try? await clock.sleep(for: interval)) != nil {
                var lines = ["STATUS=" + (await status())]
                if notifier.watchdogInterval != nil { lines.append("WATCHDOG=1") }
                await send(lines)
            }
        }
        let inFlight = await intake.claimsInFlight
        await send(["STOPPING=1", "STATUS=stopping: \(inFlight) session(s) in flight"])
    }

    func status() async -> String {
        let (stats, inFlight) = (await intake.stats, await intake.claimsInFlight)
        return "watching \(inbox): \(stats.claimed) claimed, \(inFlight) in flight"
    }

    private func send(_ lines: [String]) async {
        let notifier = self.notifier
        do {
            try await WorkerThreads.io.run { () throws(SystemError) in try notifier.send(lines) }
        } catch {
            logger.warning(
                "systemd notification could not be sent",
                metadata: [
                    "error.message": "\(error.description)", "scenedrop.notify_socket": "\(notifier.socketPath)",
                ]
            )
        }
    }
}
