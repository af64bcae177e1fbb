/// The small JPEG preview of a scene that the web view shows: `width` pixels wide (or the image's
/// width, if narrower), the image's aspect kept. Made at publish time, and by the web view for
/// sessions published before previews existed.
package enum ImagePreview {
    package static let width = 320

    package struct Preview: Sendable {
        package var jpeg: [UInt8]
        package var width: Int
        package var height: Int
    }

    /// The preview's size for an image of `width` × `height`.
    package static func size(width: Int, height: Int) -> (width: Int, height: Int) {
        let shown = max(1, min(Self.width, width))
        return (shown, max(1, Int((Double(height) * Double(shown) / Double(max(1, width))).rounded())))
    }

    /// Decodes the image (any format libvips reads) and scales it. Blocking CPU work.
    package static func make(_ bytes: [UInt8]) throws(ImagingError) -> Preview {
        let info = try ImageInspector.inspect(bytes)
        let (width, height) = size(width: info.width, height: info.height)
        return Preview(
            jpeg: try ImageResizer.cover(bytes, width: width, height: height, format: .jpeg),
            width: width,
            height: height
        )
    }

    /// The same, when the image's size is already known (at publish time: no header parse).
    package static func make(
        _ bytes: [UInt8],
        width sourceWidth: Int,
        height sourceHeight: Int
    ) throws(ImagingError) -> Preview {
        let (width, height) = size(width: sourceWidth, height: sourceHeight)
        return Preview(
            jpeg: try ImageResizer.cover(bytes, width: width, height: height, format: .jpeg),
            width: width,
            height: height
        )
    }
}
