import CVipsShim

/// What a fully decoded image is.
public struct ImageInfo: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
}

/// Checks encoded images: format from the magic bytes, a full decode of every pixel, dimensions.
public enum ImageInspector {
    public static func inspect(_ bytes: [UInt8]) throws(ImagingError) -> ImageInfo {
        guard let format = ImageFormat(magic: bytes) else {
            throw ImagingError(code: .unknownFormat, message: "the data is not PNG, JPEG, WebP or GIF (first bytes \(bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")))")
        }
        try Vips.start()
        var width: Int32 = 0, height: Int32 = 0, bands: Int32 = 0
        let rc = bytes.withUnsafeBytes { sdvips_inspect($0.baseAddress, $0.count, &width, &height, &bands) }
        if rc != 0 {
            throw ImagingError(code: .decodeFailed, message: "\(format.rawValue) image does not decode: \(Vips.takeError())")
        }
        return ImageInfo(format: format, width: Int(width), height: Int(height))
    }

    /// Inspects and insists on an exact size.
    public static func check(_ bytes: [UInt8], width: Int, height: Int) throws(ImagingError) -> ImageInfo {
        let info = try inspect(bytes)
        guard info.width == width, info.height == height else {
            throw ImagingError(code: .wrongSize, message: "image is \(info.width)x\(info.height), expected \(width)x\(height)")
        }
        return info
    }
}
