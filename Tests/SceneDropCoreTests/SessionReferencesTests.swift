import ImageGeneration
import SceneManifest
import Testing

@testable import SceneDropCore

/// What the session's references come to in one request, checked before anything is sent.
@Suite struct SessionReferencesTests {
    func references(_ sizes: [String: Int]) -> SessionReferences {
        var loaded = SessionReferences()
        for (name, size) in sizes {
            loaded.images[name] = ReferenceImage(
                name: name,
                file: name + ".png",
                kind: .object,
                description: nil,
                sha256: "0",
                image: APIReference(bytes: [UInt8](repeating: 1, count: size), mimeType: "image/png", fileName: name)
            )
        }
        return loaded
    }

    func manifest(_ scenes: [(refs: [String], continues: Bool)]) throws -> Manifest {
        let names = Set(scenes.flatMap(\.refs)).sorted()
        let map = names.map { "\"\($0)\": {\"file\": \"\($0).png\"}" }.joined(separator: ", ")
        let list = scenes.enumerated().map { i, scene in
            "{\"scene_number\": \(i + 1), \"image_create_prompt\": \"p\", \"references\": ["
                + scene.refs.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
                + (scene.continues ? ", \"continue_from\": \(i)" : "") + "}"
        }.joined(separator: ",\n")
        return try ManifestDecoder.decode(
            Array("{\"references\": {\(map)},\n\"scenes\": [\(list)]}".utf8),
            fileName: "m.json"
        )
    }

    @Test func aSceneWhoseReferencesExceedTheRequestLimitIsInvalid() throws {
        // 4 MB each is 5.3 MB as base64: three fit in a 20 MB request, four do not.
        let loaded = references(["a": 4 << 20, "b": 4 << 20, "c": 4 << 20, "d": 4 << 20])
        #expect(loaded.oversized(try manifest([(["a", "b", "c"], false)])) == nil)
        let error = try #require(
            loaded.oversized(try manifest([(["a", "b", "c"], false), (["a", "b", "c", "d"], false)]))
        )
        #expect(error.reason == .invalidManifest)
        #expect(error.issues.map(\.path) == ["scenes[1].references"])
        #expect(error.issues.first?.line == 3)
        #expect(error.message.contains("21.3 MB"), "\(error.message)")
        // The image continued from needs room too: three of 5 MB (20 MB as base64) fit alone, not with it.
        let large = references(["e": 5_000_000, "f": 5_000_000, "g": 5_000_000])
        #expect(large.oversized(try manifest([(["e", "f", "g"], false)])) == nil)
        let continuing = try #require(
            large.oversized(try manifest([(["e"], false), (["e", "f", "g"], true)]))
        )
        #expect(continuing.issues.map(\.path) == ["scenes[1].references"])
    }
}
