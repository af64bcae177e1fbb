import ImageGeneration
import ServiceLifecycle
import SystemSupport

/// The live model lists (contract §11) of a watching daemon: read at start, beside the other services (a slow
/// or unreachable API must not hold up the intake; a scene sent to an unlisted model meanwhile gets its 404),
/// then every `interval`, so a model the API stops offering leaves the chains within a day, and one it offers
/// again comes back.
struct ModelListService: Service {
    static let interval = 24.0 * 3600
    let chain: ProviderChain
    let clock: MonotonicClock
    var interval = ModelListService.interval

    func run() async {
        await cancelWhenGracefulShutdown {
            repeat {
                await chain.refreshModels()
            } while (try? await clock.sleep(for: interval)) != nil
        }
    }
}
