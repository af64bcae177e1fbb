import Foundation
import Synchronization

/// How the emulator's batch jobs behave: how long each stays pending and running, and how it ends.
package struct BatchBehaviour: Sendable {
    package enum Ending: Sendable, Equatable {
        case succeeded
        case failed(String)
        case expired
        /// Never ends by itself: only a cancel (or a test changing the behaviour) ends it.
        case never
    }

    package var pendingFor: Duration
    package var runningFor: Duration
    package var ending: Ending
    /// Whether answers carry the request's `metadata.key` (the real API has been seen not to).
    package var echoKeys: Bool
    /// Requests (by `metadata.key`) whose answer inside a successful job is an error `Status`.
    package var failingKeys: Set<String>

    package init(
        pendingFor: Duration = .milliseconds(300),
        runningFor: Duration = .milliseconds(300),
        ending: Ending = .succeeded,
        echoKeys: Bool = true,
        failingKeys: Set<String> = []
    ) {
        self.failingKeys = failingKeys
        self.pendingFor = pendingFor
        self.runningFor = runningFor
        self.ending = ending
        self.echoKeys = echoKeys
    }
}

/// One job the emulator holds.
package struct FakeBatchJob: Sendable {
    package var name: String
    package var model: String
    package var displayName: String
    package var keys: [String]
    package var prompts: [String]
    let created: ContinuousClock.Instant
    let createdWall: Date
    /// Each request's answer, made when the job was created.
    let answers: [FakeBatchAnswer]
    package var cancelled = false
}

/// One request's answer inside a job: a GenerateContentResponse, or an error `Status`, as JSON.
struct FakeBatchAnswer: Sendable {
    var key: String
    var response: [UInt8]?
    var error: [UInt8]?
}

/// The emulator's batch jobs, in creation order, and the behaviour new looks at them follow.
struct BatchBook: Sendable {
    var jobs: [FakeBatchJob] = []
    var behaviour = BatchBehaviour()
    var cancels: [String] = []
}

/// The Batch API as docs/gemini-image-api.md describes it: `models/{model}:batchGenerateContent` with
/// inline requests (each checked as generateContent checks it), `batches/{id}` (pending → running →
/// a final state, by the clock), `batches/{id}:cancel`, and the `batches` list, two jobs a page.
extension GeminiEmulator {
    package func setBatchBehaviour(_ behaviour: BatchBehaviour) { batches.withLock { $0.behaviour = behaviour } }
    package var batchJobs: [FakeBatchJob] { batches.withLock { $0.jobs } }
    /// Names of jobs a cancel was asked for, in order.
    package var batchCancels: [String] { batches.withLock { $0.cancels } }

    func handleBatch(_ request: RecordedRequest) -> FakeResponse? {
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.path
        if request.method == "POST", path.hasPrefix("/v1beta/models/"), path.hasSuffix(":batchGenerateContent") {
            return createBatch(
                model: String(path.dropFirst("/v1beta/models/".count).dropLast(":batchGenerateContent".count)),
                body: request.body
            )
        }
        if request.method == "GET", path == "/v1beta/batches" {
            return listBatches(query: request.path)
        }
        guard path.hasPrefix("/v1beta/batches/") else { return nil }
        let rest = String(path.dropFirst("/v1beta/".count))
        if request.method == "POST", rest.hasSuffix(":cancel") {
            let name = String(rest.dropLast(":cancel".count))
            let found = batches.withLock { book -> Bool in
                book.cancels.append(name)
                guard let index = book.jobs.firstIndex(where: { $0.name == name }) else { return false }
                if !Self.state(of: book.jobs[index], book.behaviour).final { book.jobs[index].cancelled = true }
                return true
            }
            return found ? FakeResponse(status: 200, body: Self.json([String: Any]())) : Self.notFound(name)
        }
        guard request.method == "GET", let job = batches.withLock({ $0.jobs.first { $0.name == rest } }) else {
            return Self.notFound(rest)
        }
        return FakeResponse(status: 200, body: Self.json(operation(job)))
    }

    func createBatch(model: String, body bytes: [UInt8]) -> FakeResponse {
        guard models[model] != nil else {
            return Self.error(
                404,
                "NOT_FOUND",
                "models/\(model) is not found for API version v1beta, or is not supported for batchGenerateContent."
            )
        }
        guard let body = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
            let batch = body["batch"] as? [String: Any]
        else {
            return Self.error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Expected a \"batch\" object.")
        }
        if let unknown = Self.unknownField(batch, allowed: ["displayName", "inputConfig", "priority", "model", "name"])
        {
            return Self.error(
                400,
                "INVALID_ARGUMENT",
                "Invalid JSON payload received. Unknown name \"\(unknown)\" at 'batch': Cannot find field."
            )
        }
        guard let displayName = batch["displayName"] as? String, !displayName.isEmpty else {
            return Self.error(400, "INVALID_ARGUMENT", "batch.display_name is required.")
        }
        let items =
            ((batch["inputConfig"] as? [String: Any])?["requests"] as? [String: Any])?["requests"] as? [[String: Any]]
            ?? []
        guard !items.isEmpty else {
            return Self.error(400, "INVALID_ARGUMENT", "batch.input_config.requests.requests must not be empty.")
        }
        var calls: [(key: String, call: Call)] = []
        for (index, item) in items.enumerated() {
            guard let request = item["request"] as? [String: Any] else {
                return Self.error(
                    400,
                    "INVALID_ARGUMENT",
                    "batch.input_config.requests.requests[\(index)].request is required."
                )
            }
            switch call(model: model, body: request) {
            case .success(let call): calls.append(((item["metadata"] as? [String: Any])?["key"] as? String ?? "", call))
            case .failure(let refusal): return refusal.response
            }
        }
        let failing = batches.withLock { $0.behaviour.failingKeys }
        let answers = calls.map { entry -> FakeBatchAnswer in
            if failing.contains(entry.key) {
                return FakeBatchAnswer(
                    key: entry.key,
                    error: Self.json(["code": 13, "message": "Internal error encountered.", "status": "INTERNAL"])
                )
            }
            let answer = scenario(entry.call)
            guard answer.status != 200 else { return FakeBatchAnswer(key: entry.key, response: answer.body) }
            let decoded = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any] ?? [:]
            return FakeBatchAnswer(key: entry.key, error: Self.json(decoded["error"] ?? [String: Any]()))
        }
        let job = batches.withLock { book -> FakeBatchJob in
            let job = FakeBatchJob(
                name: "batches/fake\(book.jobs.count + 1)x\(UInt32.random(in: 0...UInt32.max))",
                model: model,
                displayName: displayName,
                keys: calls.map(\.key),
                prompts: calls.map(\.call.prompt),
                created: .now,
                createdWall: Date(),
                answers: answers
            )
            book.jobs.append(job)
            return job
        }
        return FakeResponse(status: 200, body: Self.json(operation(job)))
    }

    func listBatches(query: String) -> FakeResponse {
        let token =
            query.split(separator: "pageToken=").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        let (jobs, total) = batches.withLock { book in (Array(book.jobs.dropFirst(token).prefix(2)), book.jobs.count) }
        var page: [String: Any] = ["operations": jobs.map { operation($0, withOutput: false) }]
        if token + 2 < total { page["nextPageToken"] = String(token + 2) }
        return FakeResponse(status: 200, body: Self.json(page))
    }

    /// The long-running operation that create and get answer with.
    func operation(_ job: FakeBatchJob, withOutput: Bool = true) -> [String: Any] {
        let behaviour = batches.withLock { $0.behaviour }
        let (state, final) = Self.state(of: job, behaviour)
        let stamp = ISO8601DateFormatter().string(from: job.createdWall)
        var metadata: [String: Any] = [
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "name": job.name, "model": "models/\(job.model)", "displayName": job.displayName, "state": state,
            "createTime": stamp, "updateTime": stamp,
            "batchStats": [
                "requestCount": String(job.answers.count),
                "pendingRequestCount": final ? "0" : String(job.answers.count),
            ],
        ]
        var operation: [String: Any] = ["name": job.name, "done": final]
        if state == "BATCH_STATE_SUCCEEDED", withOutput {
            let inlined = job.answers.map { answer -> [String: Any] in
                var item: [String: Any] = [:]
                if let response = answer.response {
                    item["response"] = (try? JSONSerialization.jsonObject(with: Data(response))) ?? [String: Any]()
                } else if let error = answer.error {
                    item["error"] = (try? JSONSerialization.jsonObject(with: Data(error))) ?? [String: Any]()
                }
                if behaviour.echoKeys { item["metadata"] = ["key": answer.key] }
                return item
            }
            let output: [String: Any] = ["inlinedResponses": ["inlinedResponses": inlined]]
            metadata["output"] = output
            operation["response"] = output.merging([
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
            ]) { $1 }
        }
        if case .failed(let message) = behaviour.ending, state == "BATCH_STATE_FAILED" {
            operation["error"] = ["code": 13, "message": message]
        }
        operation["metadata"] = metadata
        return operation
    }

    /// A job's state now: cancelled, or pending → running → its ending, by the time since creation.
    static func state(of job: FakeBatchJob, _ behaviour: BatchBehaviour) -> (String, final: Bool) {
        if job.cancelled { return ("BATCH_STATE_CANCELLED", true) }
        let age = ContinuousClock.now - job.created
        if age < behaviour.pendingFor { return ("BATCH_STATE_PENDING", false) }
        if age < behaviour.pendingFor + behaviour.runningFor { return ("BATCH_STATE_RUNNING", false) }
        switch behaviour.ending {
        case .succeeded: return ("BATCH_STATE_SUCCEEDED", true)
        case .failed: return ("BATCH_STATE_FAILED", true)
        case .expired: return ("BATCH_STATE_EXPIRED", true)
        case .never: return ("BATCH_STATE_RUNNING", false)
        }
    }

    static func notFound(_ name: String) -> FakeResponse {
        error(404, "NOT_FOUND", "Requested entity was not found. (\(name))")
    }
}
