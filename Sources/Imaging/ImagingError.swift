/// A failure to decode, check or encode an image.
public struct ImagingError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The bytes are not an image format we accept.
        case unknownFormat = "unknown_format"
        /// libvips could not decode every pixel (truncated or corrupt data).
        case decodeFailed = "decode_failed"
        /// The image decoded but is not what was asked for.
        case wrongSize = "wrong_size"
        case encodeFailed = "encode_failed"
        case initFailed = "init_failed"
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
    public var shortDescription: String { code.rawValue }
}
