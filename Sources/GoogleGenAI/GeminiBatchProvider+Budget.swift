import ImageGeneration
import Spend
import SystemSupport

/// The charges of one batch record: their ids come from the record (session, content, submission
/// time, scene), so a run resumed after a restart settles the very reservations it made before.
struct BatchCharges {
    let session: String
    let manifestSHA256: String
    let submitted: Double
    let model: String
    let imageSize: String?
    let price: Double?

    init(session: String, manifestSHA256: String, submitted: Double, step: ModelPlan.Step) {
        (self.session, self.manifestSHA256, self.submitted) = (session, manifestSHA256, submitted)
        (model, imageSize, price) = (step.model, step.imageSize, step.batchPricePerImage)
    }

    init(_ record: BatchRecord) {
        (session, manifestSHA256, submitted) = (record.session, record.manifestSHA256, record.submitted)
        (model, imageSize, price) = (record.model, record.imageSize, nil)
    }

    func id(scene: Int) -> String {
        "batch-" + Digest.sha256Hex(Array("\(session)\n\(manifestSHA256)\n\(submitted)\n\(scene)".utf8)).prefix(32)
    }

    func entry(scene: Int, price: Double, time: String) -> CostLedger.Entry {
        CostLedger.Entry(
            id: id(scene: scene),
            time: time,
            model: model,
            imageSize: imageSize,
            costUSD: price,
            session: session,
            scene: scene,
            priority: "batch"
        )
    }
}

extension GeminiBatchProvider {
    /// The scenes of `numbers` the daily budget lets go into the batch; the others end here, with
    /// `budget_exceeded` (or `budget_unavailable` when the coordinator cannot be reached for
    /// `--coordinator-wait`). The budget gate holds each scene's price, in order.
    func affordable(
        _ numbers: [Int],
        charges: BatchCharges,
        skipped: [ProviderAttempt],
        results: inout [Int: BatchSceneResult]
    ) async -> [Int] {
        guard let budget, budget.dailyUSD != nil, let price = charges.price, price > 0 else { return numbers }
        let time = WallClock.rfc3339(now())
        let held = await budget.reserveBatch(
            numbers.map { charges.entry(scene: $0, price: price, time: time) },
            coordinatorWait: coordinatorWait
        )
        let refusal: (FallbackReason, String)
        switch held.refusal {
        case .unavailable(let message): refusal = (.budgetUnavailable, message)
        case .exceeded(let message), .unrecorded(let message): refusal = (.budgetExceeded, message)
        case .granted, nil: return numbers
        }
        for number in numbers.dropFirst(held.granted) {
            results[number] = .failed(
                ProviderFailure(reason: refusal.0, message: refusal.1, tried: skipped),
                final: true
            )
        }
        return Array(numbers.prefix(held.granted))
    }

    /// Gives back the holds of scenes whose image did not come from the batch (they go the
    /// interactive way, which reserves again).
    func releaseUncharged(_ run: BatchRun) async {
        let charges = BatchCharges(run.record)
        await budget?.releaseBatch(ids: run.scenes.keys.filter { !run.charged.contains($0) }.map(charges.id(scene:)))
    }
}
