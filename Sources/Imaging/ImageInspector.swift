import CVipsShim

/// What a fully decoded image is.
package struct ImageInfo: Sendable, Equatable {
    package var format: ImageFormat
    package var width: Int
    package var height: Int
}

/// Checks encoded images: format from the magic bytes, a full decode of every pixel, dimensions.
package enum ImageInspector {
    /// More pixels than any image SceneDrop makes or is sent (the largest model output is about 17 million, an
    /// 8192x8192 manifest size 67 million): a header that declares more is refused before decoding. At 4 bytes a
    /// pixel, decoding up to this bound stays within a few hundred MB.
    package static let defaultMaxPixels = 70_000_000

    package static func inspect(_ bytes: [UInt8], maxPixels: Int = defaultMaxPixels) throws(ImagingError) -> ImageInfo {
        guard let format = ImageFormat(magic: bytes) else {
            throw ImagingError(
                code: .unknownFormat,
                message:
                    "the data is not PNG, JPEG, WebP or GIF (first bytes \(bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")))"
            )
        }
        try Vips.start()
        var width: Int32 = 0
        var height: Int32 = 0
        var bands: Int32 = 0
        let rc = bytes.withUnsafeBytes {
            sdvips_inspect($0.baseAddress, $0.count, Int64(maxPixels), &width, &height, &bands)
        }
        if rc == SDVIPS_TOO_LARGE {
            throw ImagingError.tooLarge(format: format, width: Int(width), height: Int(height), maxPixels: maxPixels)
        }
        if rc != 0 {
            throw ImagingError(
                code: .decodeFailed,
                message: "\(format.rawValue) image does not decode: \(Vips.takeError())"
            )
        }
        return ImageInfo(format: format, width: Int(width), height: Int(height))
    }

    /// Inspects and insists on an exact size (so nothing larger than that is decoded).
    package static func check(_ bytes: [UInt8], width: Int, height: Int) throws(ImagingError) -> ImageInfo {
        let info = try inspect(bytes, maxPixels: width * height)
        guard info.width == width, info.height == height else {
            throw ImagingError(
                code: .wrongSize,
                message: "image is \(info.width)x\(info.height), expected \(width)x\(height)"
            )
        }
        return info
    }
}
