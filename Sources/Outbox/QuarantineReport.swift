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

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(file, forKey: .file)
        try c.encode(reason, forKey: .reason)
        try c.encode(message, forKey: .message)
        try c.encode(errors, forKey: .errors)
        try c.encode(line, forKey: .line)
        try c.encode(column, forKey: .column)
        try c.encode(quarantinedAt, forKey: .quarantinedAt)
        try c.encode(host, forKey: .host)
    }
}
