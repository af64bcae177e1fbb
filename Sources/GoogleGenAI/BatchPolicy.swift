import SystemSupport

/// How batch sessions are sent and waited for. Pure: it decides, the provider does the I/O.
///
/// - Jobs: a session's requests go in as few jobs as fit under the API's inline limit ("inline batch
///   requests must stay under 20 MB", docs/gemini-image-api.md) and under `maxScenesPerJob`, which bounds
///   how many inlined images one answer carries (each a few MB of base64).
/// - Polling: the first look after `firstPoll`, then each wait `factor` times the last, at most
///   `maxPoll`: a job takes minutes to hours, and a job that is slow to start should not be asked
///   about every few seconds for a day.
/// - Deadline: a job still unfinished `deadline` seconds after it was submitted is cancelled and its
///   scenes fall back (`batch_expired`), as the API itself expires jobs after about a day.
package struct BatchPolicy: Sendable, Equatable {
    package var firstPoll: Double
    package var factor: Double
    package var maxPoll: Double
    package var deadline: Double
    /// Bytes of inline requests per job: the API's 20 MB less room for the envelope.
    package var maxInlineBytes: Int
    package var maxScenesPerJob: Int

    package init(
        firstPoll: Double = 10,
        factor: Double = 1.5,
        maxPoll: Double = 300,
        deadline: Double = 24 * 3600,
        maxInlineBytes: Int = 19_000_000,
        maxScenesPerJob: Int = 100
    ) {
        self.firstPoll = firstPoll
        self.factor = factor
        self.maxPoll = max(firstPoll, maxPoll)
        self.deadline = deadline
        self.maxInlineBytes = maxInlineBytes
        self.maxScenesPerJob = max(1, maxScenesPerJob)
    }

    /// The wait before look number `polls + 1` at a job.
    package func pollDelay(afterPolls polls: Int) -> Double {
        Backoff(initial: firstPoll, maximum: maxPoll, factor: factor).delay(after: polls + 1)
    }

    /// Whether a job submitted at `submitted` (wall seconds) has run out of time at `now`.
    package func isPastDeadline(submitted: Double, now: Double) -> Bool {
        now - submitted >= deadline
    }

    /// Groups items (given by their encoded sizes, in order) into jobs: consecutive runs, each under
    /// both limits. An item larger than the byte limit alone goes in a job of its own, where the API
    /// is the judge of it.
    package func split(sizes: [Int]) -> [Range<Int>] {
        var jobs: [Range<Int>] = []
        var start = 0
        var bytes = 0
        for (index, size) in sizes.enumerated() {
            let count = index - start
            if count > 0, count >= maxScenesPerJob || bytes + size > maxInlineBytes {
                jobs.append(start..<index)
                start = index
                bytes = 0
            }
            bytes += size
        }
        if start < sizes.count { jobs.append(start..<sizes.count) }
        return jobs
    }
}
