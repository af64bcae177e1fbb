/// A failure to decode, check or encode an image.
package struct ImagingError: Error, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// The bytes are not an image format we accept.
        case unknownFormat = "unknown_format"
        /// libvips could not decode every pixel (truncated or corrupt data).
        case decodeFailed = "decode_failed"
        /// The image decoded but is not what was asked for.
        case wrongSize = "wrong_size"
        /// The header declares more pixels than any model answers with: refused undecoded (a decompression bomb).
        case tooLarge = "too_large"
        case encodeFailed = "encode_failed"
        case initFailed = "init_failed"
    }

    package var code: Code
    package var message: String

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code.rawValue): \(message)" }

    static func tooLarge(format: ImageFormat, width: Int, height: Int, maxPixels: Int) -> ImagingError {
        ImagingError(
            code: .tooLarge,
            message:
                "\(format.rawValue) image declares \(width)x\(height) pixels, more than the \(maxPixels) any model answers with; not decoded"
        )
    }
    package var shortDescription: String { code.rawValue }
}
