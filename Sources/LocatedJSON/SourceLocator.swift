/// Turns byte offsets into lines and columns for one document. One pass records the location at
/// every `stride`-th byte, so a lookup scans at most `stride` bytes: a manifest with tens of thousands
/// of reported keys costs one pass plus a little per issue, not a rescan from byte 0 for each
/// (which, for a 1 MiB file, was billions of steps on a cooperative thread).
package struct SourceLocator: Sendable {
    static let stride = 1024
    private let bytes: [UInt8]
    /// `checkpoints[k]` is the location of byte `k * stride`.
    private let checkpoints: [SourceLocation]

    package init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var checkpoints: [SourceLocation] = []
        checkpoints.reserveCapacity(bytes.count / Self.stride + 1)
        var here = SourceLocation(line: 1, column: 1)
        for index in 0...bytes.count {
            if index % Self.stride == 0 { checkpoints.append(here) }
            if index < bytes.count { here.advance(over: bytes[index]) }
        }
        self.checkpoints = checkpoints
    }

    package func location(of offset: Int) -> SourceLocation {
        let end = min(max(offset, 0), bytes.count)
        let checkpoint = end / Self.stride
        var here = checkpoints[checkpoint]
        var index = checkpoint * Self.stride
        while index < end {
            here.advance(over: bytes[index])
            index += 1
        }
        return here
    }
}

extension SourceLocation {
    /// The location just past `byte`. Columns count characters: UTF-8 continuation bytes do not
    /// start a new one.
    mutating func advance(over byte: UInt8) {
        if byte == 0x0A {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
    }
}
