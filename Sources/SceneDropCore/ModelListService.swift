import ImageGeneration
import ServiceLifecycle
import SystemSupport

/// The live model lists (contract §11): read once when the chain is built, then every `interval`, so a
/// model the API stops offering leaves the chains within a day, and one it offers again comes back.
struct ModelListService: Service {
    static let interval = 24.0 * 3600
    let chain: ProviderChain
    let clock: MonotonicClock
    var interval = ModelListService.interval

    func run() async {
        await cancelWhenGracefulShutdown {
            while (try? await clock.sleep(for: interval)) != nil {
                await chain.refreshModels()
            }
        }
    }
}
