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

extension GeminiProvider {
    /// The scenes of `numbers` the daily budget lets go into the batch; the others end here, with
    /// `budget_exceeded` (or `budget_unavailable` when the coordinator cannot be reached for
    /// `--coordinator-wait`). With the coordinator each scene's price is reserved there, exactly;
    /// without it, today's spend in the ledger files decides.
    func affordable(
        _ numbers: [Int],
        charges: BatchCharges,
        skipped: [ProviderAttempt],
        results: inout [Int: BatchSceneResult]
    ) async -> [Int] {
        guard let dailyBudget, let price = charges.price, price > 0 else { return numbers }
        var refusal = (
            FallbackReason.budgetExceeded,
            "the daily budget (--daily-budget-usd \(dailyBudget)) cannot pay for this scene, even at the batch price"
        )
        let kept: [Int]
        if let coordinator {
            var granted: [Int] = []
            for number in numbers {
                let entry = charges.entry(scene: number, price: price, time: WallClock.rfc3339(now()))
                var verdict = await coordinator.reserve(entry, budget: dailyBudget)
                if case .unavailable = verdict, await coordinator.waitUntilAvailable(seconds: coordinatorWait) {
                    verdict = await coordinator.reserve(entry, budget: dailyBudget)
                }
                if case .unavailable(let message) = verdict {
                    refusal = (.budgetUnavailable, "\(message); a budget cannot be kept without it")
                }
                guard verdict == .granted else { break }
                granted.append(number)
            }
            kept = granted
        } else if let ledger {
            let spent = await ledger.spentToday(now: now())
            // Saturating: a huge budget, a free model or a ledger summing to infinity must not trap.
            let affordable = price > 0 ? ((dailyBudget - spent) / price + 1e-9).rounded(.down) : .infinity
            kept = Array(numbers.prefix(Swift.max(0, Int(saturating: Swift.min(affordable, Double(numbers.count))))))
        } else {
            return numbers
        }
        for number in numbers.dropFirst(kept.count) {
            results[number] = .failed(
                ProviderFailure(reason: refusal.0, message: refusal.1, tried: skipped),
                final: true
            )
        }
        return kept
    }

    /// Gives back the reservations of scenes whose image did not come from the batch (they go the
    /// interactive way, which reserves again).
    func releaseUncharged(_ run: BatchRun) async {
        guard let coordinator, dailyBudget != nil else { return }
        let charges = BatchCharges(run.record)
        for number in run.scenes.keys where !run.charged.contains(number) {
            await coordinator.release(charges.id(scene: number))
        }
    }
}
