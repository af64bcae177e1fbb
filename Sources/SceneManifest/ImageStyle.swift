/// The image styles a scene may ask for (contract §2).
package enum ImageStyle: String, CaseIterable, Sendable, Codable {
    case cinematic
    case singleCharacter = "single_character"
    case infographic
    case comicPanel = "comic_panel"
    case closeUpReaction = "close_up_reaction"
    case wideEstablishing = "wide_establishing"
    case photorealistic
    case illustration
    case watercolor
    case anime
    case productShot = "product_shot"
    case minimal

    /// Reads a style case-insensitively, treating `-`, `_` and space as the same.
    package init?(lenient text: String) {
        self.init(rawValue: Self.normalize(text))
    }

    static func normalize(_ text: String) -> String {
        String(text.lowercased().map { $0 == "-" || $0 == " " ? "_" : $0 })
    }

    /// The closest style name to a misspelling, when one is close enough to be a likely typo.
    static func suggestion(for text: String) -> ImageStyle? {
        let wanted = normalize(text)
        // No style name has 20 characters, so a long text is never within a typo of one (and an edit
        // distance against a 100 kB "style" is not worth computing).
        guard wanted.count <= 40 else { return nil }
        var best: (ImageStyle, Int)?
        for style in allCases {
            let distance = editDistance(wanted, style.rawValue)
            if best == nil || distance < best!.1 { best = (style, distance) }
        }
        guard let (style, distance) = best else { return nil }
        // A prefix ("cine") or a few edits away counts as a typo; anything else is just unknown.
        if style.rawValue.hasPrefix(wanted) && wanted.count >= 3 { return style }
        return distance <= max(2, wanted.count / 3) ? style : nil
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    // On UTF-8 bytes: the names compared against are ASCII, and bytes are far cheaper than Characters
    // (a non-ASCII typo only counts a little farther away).
    let a = Array(a.utf8)
    let b = Array(b.utf8)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
