import DropFolder
import Logging
import ServiceLifecycle
import SystemSupport

/// Keeps this instance's lease moving every `--lease-renew`, so peers on other hosts know it is
/// alive. First in the group, so last to stop: the lease keeps moving while sessions in flight finish
/// at shutdown (a lease that stopped then would let a peer take their claims).
struct LeaseService: Service {
    let work: WorkArea
    let interval: Duration
    let clock: MonotonicClock
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown {
            var failing = false
            repeat {
                let work = self.work
                let result = await WorkerThreads.io.run { Result { () throws(SystemError) in try work.renewLease() } }
                switch result {
                case .success(true):
                    logger.warning(
                        "this instance's work folder was gone and is made again: a peer took it for dead (paused or cut off for longer than --lease-timeout) and may have taken its claims; sessions whose claim is gone publish nothing",
                        metadata: [
                            "scenedrop.work": "\(work.directory)"
                        ]
                    )
                    failing = false
                case .success(false):
                    if failing { logger.notice("lease renewed again") }
                    failing = false
                case .failure(let error):
                    if !failing {
                        logger.error(
                            "lease could not be renewed; peers will take this instance for dead after --lease-timeout",
                            metadata: [
                                "error.message": "\(error.description)"
                            ]
                        )
                    }
                    failing = true
                }
            } while await clock.pause(interval.seconds)
        }
    }
}
