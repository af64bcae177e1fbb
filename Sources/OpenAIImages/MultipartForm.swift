import ImageGeneration

/// A `multipart/form-data` body (RFC 7578) for `images/edits`: the request's fields, then one `image[]` part
/// per reference image in order. The boundary is random and checked against every part, so no image can
/// contain it by chance.
package struct MultipartForm: Sendable {
    package let boundary: String
    let fields: [(String, String)]
    let files: [APIReference]

    package init(fields: [(String, String)], files: [APIReference]) {
        self.fields = fields
        self.files = files
        var boundary: String
        repeat {
            boundary = "scenedrop-" + (0..<24).map { _ in String("0123456789abcdef".randomElement()!) }.joined()
        } while files.contains(where: { $0.bytes.contains(subsequence: Array(boundary.utf8)) })
        self.boundary = boundary
    }

    package func encoded() -> [UInt8] {
        var body: [UInt8] = []
        func line(_ text: String) { body += Array(text.utf8) + [13, 10] }
        for (name, value) in fields {
            line("--\(boundary)")
            line("Content-Disposition: form-data; name=\"\(name)\"")
            line("")
            line(value)
        }
        for file in files {
            line("--\(boundary)")
            // A name never carries a quote or a line break into the header.
            let name = String(file.fileName.filter { $0 != "\"" && $0 != "\r" && $0 != "\n" })
            line("Content-Disposition: form-data; name=\"image[]\"; filename=\"\(name)\"")
            line("Content-Type: \(file.mimeType)")
            line("")
            body += file.bytes
            line("")
        }
        line("--\(boundary)--")
        return body
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in this array.
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return false }
        return (0...(count - needle.count)).contains { start in self[start..<start + needle.count].elementsEqual(needle)
        }
    }
}
