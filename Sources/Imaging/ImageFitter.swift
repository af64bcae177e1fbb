import CVipsShim

/// Brings a reference image within a long side (contract §7: 1536 px) for sending: decoded as it streams, so a
/// truncated or corrupt file is refused and a 4096×4096 one is never held whole; never enlarged; JPEG
/// (quality 90) unless it has an alpha channel, then PNG; its metadata (EXIF: a camera's GPS position, the
/// author) is not sent on.
package enum ImageFitter {
    package struct Fitted: Sendable, Equatable {
        package var bytes: [UInt8]
        package var format: ImageFormat
        package var width: Int
        package var height: Int

        package init(bytes: [UInt8], format: ImageFormat, width: Int, height: Int) {
            self.bytes = bytes
            self.format = format
            self.width = width
            self.height = height
        }

        package var mimeType: String { format == .png ? "image/png" : "image/jpeg" }
    }

    /// The formats a reference may be in (what the image APIs take and libvips decodes here).
    package static let acceptedFormats: Set<ImageFormat> = [.png, .jpeg, .webp]

    /// Blocking CPU work: call it on the CPU threads.
    package static func fit(
        _ bytes: [UInt8],
        longSide: Int,
        maxPixels: Int = ImageInspector.defaultMaxPixels
    ) throws(ImagingError) -> Fitted {
        guard let source = ImageFormat(magic: bytes), acceptedFormats.contains(source) else {
            throw ImagingError(
                code: .unknownFormat,
                message: "not a PNG, JPEG or WebP image"
                    + (ImageFormat(magic: bytes).map { " (it is \($0.rawValue.uppercased()))" } ?? "")
            )
        }
        try Vips.start()
        var width: Int32 = 0
        var height: Int32 = 0
        var format: Int32 = 0
        var out: UnsafeMutableRawPointer?
        var count = 0
        let rc = bytes.withUnsafeBytes {
            sdvips_fit(
                $0.baseAddress,
                $0.count,
                Int32(longSide),
                Int64(maxPixels),
                &width,
                &height,
                &format,
                &out,
                &count
            )
        }
        if rc == SDVIPS_TOO_LARGE {
            throw ImagingError.tooLarge(format: source, width: Int(width), height: Int(height), maxPixels: maxPixels)
        }
        if rc != 0 {
            throw ImagingError(
                code: .decodeFailed,
                message: "\(source.rawValue) image does not decode: \(Vips.takeError())"
            )
        }
        return Fitted(
            bytes: Vips.adopt(out, count),
            format: format == SDVIPS_FORMAT_PNG ? .png : .jpeg,
            width: Int(width),
            height: Int(height)
        )
    }
}
