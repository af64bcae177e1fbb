/// What `scenedrop process` prints (`--json` prints this structure).
package struct BatchSummary: Codable, Sendable {
    package struct Entry: Codable, Sendable, Equatable {
        package var file: String
        package var detail: String
    }

    package var published: [Entry] = []
    package var quarantined: [Entry] = []
    package var handedBack: [Entry] = []
    package var skipped: [Entry] = []
    /// Drops replaced by a newer drop of the same session before they were published.
    package var superseded: [Entry] = []
    /// Files the run could not take from the inbox (it is not writable, say): left there untouched.
    package var unclaimed: [Entry] = []
    package var durationMS = 0

    enum CodingKeys: String, CodingKey {
        case published, quarantined
        case handedBack = "handed_back"
        case skipped, superseded, unclaimed
        case durationMS = "duration_ms"
    }

    /// Published and nothing else: the run needs no attention.
    package var isClean: Bool { quarantined.isEmpty && handedBack.isEmpty && skipped.isEmpty && unclaimed.isEmpty }

    mutating func add(file: String, outcome: ProcessOutcome) {
        switch outcome {
        case .published(let session, let scenes, let fallbacks, let replaced):
            published.append(
                .init(
                    file: file,
                    detail:
                        "\(session): \(scenes) scene(s), \(fallbacks) fallback(s)\(replaced ? ", replaced the previous session" : "")"
                )
            )
        case .quarantined(let name, let reason):
            quarantined.append(.init(file: file, detail: "\(reason) (quarantine/\(name))"))
        case .handedBack(let name, let error):
            handedBack.append(.init(file: file, detail: "back in the inbox as \(name): \(error)"))
        case .cancelled(let name):
            handedBack.append(.init(file: file, detail: "cancelled; back in the inbox as \(name)"))
        case .superseded(let session):
            superseded.append(
                .init(
                    file: file,
                    detail: "\(session): replaced by a newer drop of the same session before it was published"
                )
            )
        case .claimLost(let session):
            handedBack.append(
                .init(
                    file: file,
                    detail: "\(session): the claim was taken back by a peer before the publish; not published here"
                )
            )
        case .stuck(let error):
            handedBack.append(.init(file: file, detail: "left in work/ for recovery: \(error)"))
        }
    }
}
