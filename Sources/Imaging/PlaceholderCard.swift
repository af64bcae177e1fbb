import CVipsShim

/// The built-in placeholder image: a legible card with the scene number, the prompt wrapped to
/// fit, the style and the word PLACEHOLDER, on a colour derived from the prompt so neighbouring
/// scenes are told apart at a glance.
package struct PlaceholderCard: Sendable {
    package var sceneNumber: Int
    package var prompt: String
    package var style: String
    package var width: Int
    package var height: Int
    package var format: OutputFormat
    /// The names of the scene's reference images (contract §7), listed on the card.
    package var references: [String] = []

    /// Long prompts are cut here so the text stays large enough to read.
    static let maximumPromptCharacters = 600

    package init(sceneNumber: Int, prompt: String, style: String, width: Int, height: Int, format: OutputFormat) {
        self.sceneNumber = sceneNumber
        self.prompt = prompt
        self.style = style
        self.width = width
        self.height = height
        self.format = format
    }

    /// RGB 0…255 from a stable hash of the prompt: a dark, saturated tone under white text.
    package var backgroundColour: (red: Double, green: Double, blue: Double) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: stable across runs, unlike Hasher
        for byte in prompt.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hue = Double(hash % 360) / 60.0
        let saturation = 0.55
        let value = 0.42
        let c = value * saturation
        let x = c * (1 - abs(hue.truncatingRemainder(dividingBy: 2) - 1))
        let m = value - c
        let (r, g, b): (Double, Double, Double)
        switch Int(hue) {
        case 0: (r, g, b) = (c, x, 0)
        case 1: (r, g, b) = (x, c, 0)
        case 2: (r, g, b) = (0, c, x)
        case 3: (r, g, b) = (0, x, c)
        case 4: (r, g, b) = (x, 0, c)
        default: (r, g, b) = (c, 0, x)
        }
        return ((r + m) * 255, (g + m) * 255, (b + m) * 255)
    }

    /// The Pango markup drawn on the card.
    package var markup: String {
        var text =
            prompt.count > Self.maximumPromptCharacters
            ? String(prompt.prefix(Self.maximumPromptCharacters)) + "…"
            : prompt
        text = text.replacingControlCharacters()
        return """
            <span size="small" letter_spacing="4000"><b>PLACEHOLDER</b></span>
            <span size="xx-large"><b>Scene \(sceneNumber)</b></span>

            \(Self.escape(text))

            <span size="small"><i>style: \(Self.escape(style))</i></span>\(referenceLine)
            """
    }

    /// "references: mika, cafe" under the style, when the scene has any.
    var referenceLine: String {
        guard !references.isEmpty else { return "" }
        let names = references.prefix(14).joined(separator: ", ") + (references.count > 14 ? ", …" : "")
        return "\n<span size=\"small\"><i>references: \(Self.escape(names.replacingControlCharacters()))</i></span>"
    }

    /// The longest side a card is drawn at. Larger cards are drawn at this size and scaled up: text layout
    /// (which sizes the text to fit) costs grow with the area, and an 8192x8192 card drawn directly took
    /// so long that 500 of them held every CPU thread for minutes.
    package static let maximumDrawnSide = 2048

    package func render() throws(ImagingError) -> [UInt8] {
        let longest = max(width, height)
        guard longest > Self.maximumDrawnSide else { return try draw() }
        let scale = Double(Self.maximumDrawnSide) / Double(longest)
        var drawn = self
        drawn.width = max(16, Int((Double(width) * scale).rounded()))
        drawn.height = max(16, Int((Double(height) * scale).rounded()))
        drawn.format = .png
        return try ImageResizer.cover(try drawn.draw(), width: width, height: height, format: format)
    }

    private func draw() throws(ImagingError) -> [UInt8] {
        try Vips.start()
        let colour = backgroundColour
        var out: UnsafeMutableRawPointer?
        var count = 0
        // Leave a margin: the text box is 84% x 80% of the card.
        let textWidth = max(16, width * 84 / 100)
        let textHeight = max(16, height * 80 / 100)
        let rc = sdvips_card(
            Int32(width),
            Int32(height),
            colour.red,
            colour.green,
            colour.blue,
            markup,
            Int32(textWidth),
            Int32(textHeight),
            250,
            250,
            245,
            ImageResizer.vipsFormat(format),
            &out,
            &count
        )
        if rc != 0 {
            throw ImagingError(code: .encodeFailed, message: "placeholder render failed: \(Vips.takeError())")
        }
        return Vips.adopt(out, count)
    }

    /// Pango markup treats `<`, `>` and `&` as syntax.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

extension String {
    /// Control characters (other than line breaks) would upset Pango; show them as spaces.
    fileprivate func replacingControlCharacters() -> String {
        String(
            String.UnicodeScalarView(
                unicodeScalars.map { scalar in
                    (scalar.value < 0x20 && scalar != "\n") || scalar.value == 0x7F ? " " : scalar
                }
            )
        )
    }
}
