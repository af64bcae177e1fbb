/// `<name>.error.json` beside a quarantined manifest (contract §5).
package struct QuarantineReport: Codable, Sendable, Equatable {
    package var schema = "scenedrop.quarantine/v1"
    package var file: String
    package var reason: String
    package var message: String
    /// The first 1,000 at most (a hostile manifest can have hundreds of thousands).
    package var errors: [Issue]
    /// How many errors there were in all, listed or not.
    package var errorsTotal: Int
    package var line: Int?
    package var column: Int?
    package var quarantinedAt: String
    package var host: String

    package init(
        file: String,
        reason: String,
        message: String,
        errors: [Issue],
        errorsTotal: Int? = nil,
        line: Int?,
        column: Int?,
        quarantinedAt: String,
        host: String
    ) {
        self.file = file
        self.reason = reason
        self.message = message
        self.errors = errors
        self.errorsTotal = errorsTotal ?? errors.count
        self.line = line
        self.column = column
        self.quarantinedAt = quarantinedAt
        self.host = host
    }

    /// Reports written before `errors_total` existed are read as listing every error.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schema = try container.decodeIfPresent(String.self, forKey: .schema) ?? "scenedrop.quarantine/v1"
        file = try container.decode(String.self, forKey: .file)
        reason = try container.decode(String.self, forKey: .reason)
        message = try container.decode(String.self, forKey: .message)
        errors = try container.decode([Issue].self, forKey: .errors)
        errorsTotal = try container.decodeIfPresent(Int.self, forKey: .errorsTotal) ?? errors.count
        line = try container.decodeIfPresent(Int.self, forKey: .line)
        column = try container.decodeIfPresent(Int.self, forKey: .column)
        quarantinedAt = try container.decode(String.self, forKey: .quarantinedAt)
        host = try container.decode(String.self, forKey: .host)
    }

    enum CodingKeys: String, CodingKey {
        case schema, file, reason, message, errors
        case errorsTotal = "errors_total"
        case line, column
        case quarantinedAt = "quarantined_at"
        case host
    }
}
