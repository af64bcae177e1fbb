import FakeGemini
import Foundation
import Imaging
import SystemSupport
import TestSupport

/// B7 (issue 25): one session of 20 scenes, every scene carrying the same 4 references of 4096×4096 from
/// the library: two near the 20 MB cap (grey noise PNGs, which no shrink-on-load helps) and two JPEGs. Each
/// library file must be read and fitted once for the session, and the daemon stay under 400 MB at its peak
/// while 16 requests with their references are in flight.
struct ReferenceScenario {
    var scenes: Int
    var latency: Duration
    var concurrency = 16
    /// The references' side in pixels (the smoke run's are smaller).
    var side = 4096

    func run() async throws -> [Measure] {
        let answer = GeminiEmulator.image(
            try PlaceholderCard(sceneNumber: 1, prompt: "b7", style: "minimal", width: 1376, height: 768, format: .jpeg)
                .render(),
            mimeType: "image/jpeg",
            delay: latency
        )
        let emulator = GeminiEmulator { _ in answer }
        return try await withFakeGemini({ emulator.handle($0) }) { server in
            let base = try makeTemporaryDirectory("b7")
            defer { removeScratch(base) }
            let root = base + "/root"
            for name in ["noise-a", "noise-b"] {
                try writeFile(
                    root + "/references/\(name).png",
                    StoredPNG.greyNoise(width: side, height: side, seed: name.count)
                )
            }
            for name in ["card-c", "card-d"] {
                try writeFile(
                    root + "/references/\(name).jpg",
                    try PlaceholderCard(
                        sceneNumber: 1,
                        prompt: name,
                        style: "minimal",
                        width: side,
                        height: side,
                        format: .jpeg
                    )
                    .render()
                )
            }
            let libraryBytes = ["noise-a.png", "noise-b.png", "card-c.jpg", "card-d.jpg"].compactMap {
                try? FileSystem.info(root + "/references/" + $0)?.size
            }.reduce(0, +)
            let daemon = try await BenchDaemon(
                root: root,
                arguments: ["--concurrency", "\(concurrency)", "--no-cache", "--log-level", "debug"],
                environment: ["GEMINI_API_KEY": GeminiEmulator.validKey, "SCENEDROP_GEMINI_BASE_URL": server.baseURL]
            )
            let names = ["noise-a", "noise-b", "card-c", "card-d"]
            let map = names.enumerated().map { i, name in
                "\"\(name)\": {\"file\": \"\(name).\(name.hasPrefix("noise") ? "png" : "jpg")\", \"kind\": \"\(i < 2 ? "character" : "object")\"}"
            }.joined(separator: ", ")
            let list = (1...scenes).map {
                "{\"scene_number\": \($0), \"image_create_prompt\": \"scene \($0) with all four\", \"references\": [\"noise-a\", \"noise-b\", \"card-c\", \"card-d\"]}"
            }.joined(separator: ", ")
            let manifest =
                "{\"session\": \"b7\", \"width\": 1920, \"height\": 1080, \"references\": {\(map)}, \"scenes\": [\(list)]}"
            let dropped = try drop(Array(manifest.utf8), as: "b7.json", into: daemon.inbox)
            try await waitUntil("the B7 session", timeout: .seconds(600), interval: .milliseconds(50)) {
                daemon.times(of: "session published", by: "scenedrop.file")["b7.json"] != nil
            }
            let published = daemon.times(of: "session published", by: "scenedrop.file")["b7.json"]!
            let peak = daemon.peakRSS
            let loads = daemon.count(of: "reference loaded")
            try await daemon.stop()
            let requests = server.generateRequests
            let bodies = requests.map(\.body.count)
            let images = emulator.receivedImages.map(\.images.count)
            let megabytes = Double(peak ?? 0) / 1_048_576
            return [
                Measure(
                    scenario: "B7 references",
                    measure:
                        "\(scenes) scenes × 4 references of \(side)² (library \(libraryBytes / 1_048_576) MB): peak RSS",
                    value: String(format: "%.0f MB", megabytes),
                    target: "< 400 MB",
                    met: peak.map { $0 < 400 << 20 },
                    number: megabytes,
                    unit: "MB"
                ),
                Measure(
                    scenario: "B7 references",
                    measure: "library files read and fitted for the session",
                    value: "\(loads)",
                    target: "4 (once each)",
                    met: loads == 4,
                    number: Double(loads),
                    unit: "reads"
                ),
                Measure(
                    scenario: "B7 references",
                    measure: "requests, each with its 4 images (fake API checks and decodes them)",
                    value: "\(requests.count), \(images.filter { $0 == 4 }.count) with 4 images",
                    target: "\(scenes)",
                    met: requests.count == scenes && images.allSatisfy { $0 == 4 },
                    number: Double(requests.count),
                    unit: "requests"
                ),
                Measure(
                    scenario: "B7 references",
                    measure: "request body (references as base64)",
                    value: String(format: "%.1f MB", Double(bodies.max() ?? 0) / 1_048_576),
                    target: "report (API limit 20 MB)",
                    met: nil,
                    number: Double(bodies.max() ?? 0),
                    unit: "bytes"
                ),
                Measure(
                    scenario: "B7 references",
                    measure: "drop → published (\(latency) per answer, --concurrency \(concurrency))",
                    value: String(format: "%.2f s", published - dropped),
                    target: "report",
                    met: nil,
                    number: published - dropped,
                    unit: "s"
                ),
            ]
        }
    }
}

/// A PNG of grey noise with stored (uncompressed) deflate blocks: as large as a photograph of that size and
/// as slow to decode, without a compressor.
enum StoredPNG {
    static func greyNoise(width: Int, height: Int, seed: Int) -> [UInt8] {
        var state = UInt64(bitPattern: Int64(seed)) | 1
        var raw = [UInt8](repeating: 0, count: (width + 1) * height)
        for row in 0..<height {
            let start = row * (width + 1)
            raw[start] = 0
            for x in 0..<width {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                // A gradient with noise on it: something a model could look at, and incompressible.
                raw[start + 1 + x] = UInt8(truncatingIfNeeded: (x + row) / 32 + Int(state & 0x3F))
            }
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        while offset < raw.count {
            let count = min(65_535, raw.count - offset)
            zlib.append(offset + count == raw.count ? 1 : 0)
            zlib += [UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            zlib += raw[offset..<offset + count]
            offset += count
        }
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in raw {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        zlib += bigEndian((b << 16) | a)
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 0, 0, 0, 0])
        png += chunk("IDAT", zlib)
        png += chunk("IEND", [])
        return png
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in typed { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc ^ 0xFFFF_FFFF)
    }
}
