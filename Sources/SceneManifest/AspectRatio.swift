/// One of the aspect ratios the contract allows, such as 16:9.
package struct AspectRatio: Sendable, Hashable, CustomStringConvertible {
    package let width: Int
    package let height: Int

    package static let allowed: [AspectRatio] = [
        .init(1, 1), .init(2, 3), .init(3, 2), .init(3, 4), .init(4, 3),
        .init(4, 5), .init(5, 4), .init(9, 16), .init(16, 9), .init(21, 9),
    ]
    package static let widescreen = AspectRatio(16, 9)

    init(_ width: Int, _ height: Int) {
        self.width = width
        self.height = height
    }

    package init?(_ text: String) {
        guard let match = Self.allowed.first(where: { $0.description == text.trimmingSpaces() }) else { return nil }
        self = match
    }

    package var description: String { "\(width):\(height)" }
    package var value: Double { Double(width) / Double(height) }

    /// The default pixel size: 1920×1080 for 16:9, otherwise 1920 on the long side.
    package var defaultSize: (width: Int, height: Int) {
        if self == .widescreen { return (1920, 1080) }
        if width >= height { return (1920, Int((1920.0 * Double(height) / Double(width)).rounded())) }
        return (Int((1920.0 * Double(width) / Double(height)).rounded()), 1920)
    }

    /// Whether a pixel size matches this ratio within 1%.
    package func matches(width: Int, height: Int) -> Bool {
        abs(Double(width) / Double(height) - value) / value <= 0.01
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
