import SceneManifest

/// Builds the text sent to the model (seed TC-4): the original prompt first, then style modifiers,
/// quality words, the aspect wording, and the negative prompt folded in as "Avoid: …" because the
/// Gemini API has no negative-prompt field.
package enum PromptEnhancer {
    static let styleModifiers: [ImageStyle: String] = [
        .cinematic: "cinematic lighting, film still, shallow depth of field, dramatic composition",
        .singleCharacter: "single character focus, detailed face, expressive pose, portrait framing",
        .infographic: "clean infographic design, clear visual hierarchy, flat vector shapes",
        .comicPanel: "comic book panel, bold ink lines, vibrant flat colors, dynamic framing",
        .closeUpReaction: "close-up shot, expressive facial reaction, shallow depth of field",
        .wideEstablishing: "wide establishing shot, expansive environment, strong sense of scale",
        .photorealistic: "photorealistic, natural lighting, realistic textures, sharp detail",
        .illustration: "digital illustration, painterly detail, cohesive color palette",
        .watercolor: "watercolor painting, soft washes, textured paper, gentle color bleeds",
        .anime: "anime style, cel shading, clean line art, vivid colors",
        .productShot: "studio product photography, clean background, softbox lighting, crisp detail",
        .minimal: "minimalist composition, generous negative space, simple shapes, restrained palette",
    ]

    static let aspectWording: [String: String] = [
        "16:9": "16:9 widescreen composition", "9:16": "9:16 vertical composition", "1:1": "1:1 square composition",
        "21:9": "21:9 ultra-wide cinematic composition", "4:3": "4:3 landscape composition",
        "3:4": "3:4 portrait composition",
        "3:2": "3:2 landscape composition", "2:3": "2:3 portrait composition", "5:4": "5:4 landscape composition",
        "4:5": "4:5 portrait composition",
    ]

    package static func enhance(
        prompt: String,
        style: ImageStyle,
        quality: Manifest.Quality,
        aspectRatio: String,
        negative: String?,
        references: [String] = []
    ) -> String {
        var parts = [prompt.trimmingTrailingPunctuation()]
        parts.append(styleModifiers[style] ?? "high quality, detailed")
        parts.append(quality == .production ? "high quality, highly detailed, 4K" : "high quality, detailed")
        parts.append(aspectWording[aspectRatio] ?? "\(aspectRatio) composition")
        var text = parts.joined(separator: ". ") + "."
        if let negative, !negative.allSatisfy(\.isWhitespace) {
            text += " Avoid: " + negative.trimmingTrailingPunctuation() + "."
        }
        guard !references.isEmpty else { return text }
        // The images go before the text, in this order: the text names each by its place (contract §7).
        let named = references.enumerated().map {
            "Image \($0.offset + 1): \($0.element.trimmingTrailingPunctuation())."
        }
        return named.joined(separator: "\n")
            + "\nKeep the characters, objects and places of these reference images as they are shown.\n\n" + text
    }
}

extension String {
    fileprivate func trimmingTrailingPunctuation() -> String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace || last == "." || last == "," || last == ";" { s.removeLast() }
        while let first = s.first, first.isWhitespace { s.removeFirst() }
        return String(s)
    }
}
