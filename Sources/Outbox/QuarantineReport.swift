/// `<name>.error.json` beside a quarantined manifest (contract §5).
public struct QuarantineReport: Codable, Sendable, Equatable {
    public var schema = "scenedrop.quarantine/v1"
    public var file: String
    public var reason: String
    public var message: String
    public var errors: [Issue]
    public var line: Int?
    public var column: Int?
    public var quarantinedAt: String
    public var host: String

    public init(file: String, reason: String, message: String, errors: [Issue], line: Int?, column: Int?, quarantinedAt: String, host: String) {
        self.file = file
        self.reason = reason
        self.message = message
        self.errors = errors
        self.line = line
        self.column = column
        self.quarantinedAt = quarantinedAt
        self.host = host
    }

    enum CodingKeys: String, CodingKey {
        case schema, file, reason, message, errors, line, column
        case quarantinedAt = "quarantined_at"
        case host
    }
}
