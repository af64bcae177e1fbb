/// Encoded image formats, decided from the bytes: a provider's `mimeType` is not trusted.
package enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case png, jpeg, webp, gif

    /// The format the magic bytes say, or `nil` for anything else.
    package init?(magic bytes: some Collection<UInt8>) {
        let head = Array(bytes.prefix(12))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if head.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if head.count >= 12, head.starts(with: Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) {
            self = .webp
        } else if head.starts(with: Array("GIF87a".utf8)) || head.starts(with: Array("GIF89a".utf8)) {
            self = .gif
        } else {
            return nil
        }
    }

    /// File extension for published images.
    package var fileExtension: String {
        switch self {
        case .png: return "png"
        case .jpeg: return "jpg"
        case .webp: return "webp"
        case .gif: return "gif"
        }
    }
}

/// The two formats SceneDrop publishes.
package enum OutputFormat: String, Sendable, Codable, CaseIterable {
    case png, jpeg

    package var imageFormat: ImageFormat { self == .png ? .png : .jpeg }
}
