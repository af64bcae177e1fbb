import Imaging
import Testing

/// References are brought within 1536 px on their long side before they are sent (contract §7).
@Suite struct ImageFitterTests {
    static func card(_ width: Int, _ height: Int, _ format: OutputFormat) throws -> [UInt8] {
        try PlaceholderCard(
            sceneNumber: 1,
            prompt: "a reference",
            style: "minimal",
            width: width,
            height: height,
            format: format
        ).render()
    }

    @Test func aLargeImageIsBroughtWithinTheLongSide() throws {
        let fitted = try ImageFitter.fit(try Self.card(3072, 1536, .png), longSide: 1536)
        #expect(fitted.width == 1536)
        #expect(fitted.height == 768)
        // No alpha channel: sent as JPEG, whatever it came as.
        #expect(fitted.format == .jpeg)
        #expect(fitted.mimeType == "image/jpeg")
        #expect(try ImageInspector.check(fitted.bytes, width: 1536, height: 768).format == .jpeg)
        let tall = try ImageFitter.fit(try Self.card(1000, 2000, .jpeg), longSide: 1536)
        #expect((tall.width, tall.height) == (768, 1536))
    }

    @Test func aSmallImageIsNeverEnlarged() throws {
        let fitted = try ImageFitter.fit(try Self.card(800, 600, .png), longSide: 1536)
        #expect((fitted.width, fitted.height) == (800, 600))
    }

    @Test func whatIsNotAWholePNGJPEGOrWebPIsRefused() throws {
        let png = try Self.card(640, 360, .png)
        #expect(throws: ImagingError.self) { try ImageFitter.fit(Array(png.prefix(png.count / 2)), longSide: 1536) }
        let gif = Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 64)
        #expect {
            try ImageFitter.fit(gif, longSide: 1536)
        } throws: { error in
            (error as? ImagingError)?.code == .unknownFormat && "\(error)".contains("GIF")
        }
        // A header that declares more pixels than allowed is refused before any is decoded.
        #expect {
            try ImageFitter.fit(png, longSide: 1536, maxPixels: 640 * 359)
        } throws: { error in
            (error as? ImagingError)?.code == .tooLarge
        }
    }

    @Test func thePlaceholderCardNamesTheReferences() throws {
        var card = PlaceholderCard(sceneNumber: 2, prompt: "p", style: "minimal", width: 320, height: 180, format: .png)
        #expect(!card.markup.contains("references"))
        card.references = ["mika", "cafe", "<b>"]
        #expect(card.markup.contains("references: mika, cafe, &lt;b&gt;"))
        #expect(try ImageInspector.check(try card.render(), width: 320, height: 180).format == .png)
    }
}
