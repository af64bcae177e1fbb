import CVipsShim

/// Brings a provider's image to the target size: a full decode (which refuses truncated or corrupt
/// data), scale to cover, then crop the centre.
public enum ImageResizer {
    public static func cover(_ bytes: [UInt8], width: Int, height: Int, format: OutputFormat) throws(ImagingError) -> [UInt8] {
        guard ImageFormat(magic: bytes) != nil else {
            throw ImagingError(code: .unknownFormat, message: "the data is not an image SceneDrop can read")
        }
        try Vips.start()
        var out: UnsafeMutableRawPointer?
        var count = 0
        let rc = bytes.withUnsafeBytes {
            sdvips_cover($0.baseAddress, $0.count, Int32(width), Int32(height), vipsFormat(format), &out, &count)
        }
        if rc != 0 { throw ImagingError(code: .decodeFailed, message: "resize to \(width)x\(height) failed: \(Vips.takeError())") }
        return Vips.adopt(out, count)
    }

    static func vipsFormat(_ format: OutputFormat) -> Int32 {
        format == .png ? Int32(SDVIPS_FORMAT_PNG) : Int32(SDVIPS_FORMAT_JPEG)
    }
}
