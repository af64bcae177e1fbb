import CVipsShim

/// Brings a provider's image to the target size: a full decode (which refuses truncated or corrupt
/// data), scale to cover, then crop the centre.
package enum ImageResizer {
    /// - Parameter maxPixels: an image whose header declares more is refused undecoded (`too_large`).
    package static func cover(
        _ bytes: [UInt8],
        width: Int,
        height: Int,
        format: OutputFormat,
        maxPixels: Int = ImageInspector.defaultMaxPixels
    ) throws(ImagingError) -> [UInt8] {
        guard let sourceFormat = ImageFormat(magic: bytes) else {
            throw ImagingError(code: .unknownFormat, message: "the data is not an image SceneDrop can read")
        }
        try Vips.start()
        var out: UnsafeMutableRawPointer?
        var count = 0
        var declaredWidth: Int32 = 0
        var declaredHeight: Int32 = 0
        let rc = bytes.withUnsafeBytes {
            sdvips_cover(
                $0.baseAddress,
                $0.count,
                Int32(width),
                Int32(height),
                vipsFormat(format),
                Int64(maxPixels),
                &declaredWidth,
                &declaredHeight,
                &out,
                &count
            )
        }
        if rc == SDVIPS_TOO_LARGE {
            throw ImagingError.tooLarge(
                format: sourceFormat,
                width: Int(declaredWidth),
                height: Int(declaredHeight),
                maxPixels: maxPixels
            )
        }
        if rc != 0 {
            throw ImagingError(code: .decodeFailed, message: "resize to \(width)x\(height) failed: \(Vips.takeError())")
        }
        return Vips.adopt(out, count)
    }

    static func vipsFormat(_ format: OutputFormat) -> Int32 {
        format == .png ? Int32(SDVIPS_FORMAT_PNG) : Int32(SDVIPS_FORMAT_JPEG)
    }
}
