import SceneManifest
import Testing

/// Contract §7's manifest fields, validated with located errors and no I/O.
@Suite struct ReferenceValidationTests {
    func decode(_ text: String) throws(ManifestError) -> Manifest {
        try ManifestDecoder.decode(Array(text.utf8), fileName: "m.json")
    }

    func issues(_ text: String) -> [ManifestIssue] {
        do {
            _ = try decode(text)
            return []
        } catch {
            return error.issues
        }
    }

    func manifest(references: String, scenes: String) -> String {
        "{\"references\": \(references), \"scenes\": [\(scenes)]}"
    }

    @Test func theContractsExampleDecodes() throws {
        let m = try decode(
            """
            {"session": "ep43",
             "references": {
               "mika": {"file": "characters/mika.png", "kind": "character", "description": "Mika, the barista"},
               "cafe": {"file": "places/corner-cafe.jpg"}
             },
             "scenes": [
               {"scene_number": 1, "image_create_prompt": "a", "references": ["mika", "cafe"]},
               {"scene_number": 2, "image_create_prompt": "b", "references": ["mika"], "continue_from": 1}
             ]}
            """
        )
        #expect(m.references.map(\.name) == ["mika", "cafe"], "the manifest's order")
        #expect(m.references[0].kind == .character)
        #expect(m.references[1].kind == .object, "the default")
        #expect(m.references[1].description == nil)
        #expect(m.references[0].fileAt == SourcePlace(line: 3, column: 21))
        #expect(m.scenes[0].references == ["mika", "cafe"])
        #expect(m.scenes[1].continueFrom == 1)
        #expect(m.warnings.isEmpty, "\(m.warnings)")
    }

    @Test(arguments: [
        ("\"Mika\"", "is not a valid reference name"),
        ("\"-mika\"", "is not a valid reference name"),
        ("\"\(String(repeating: "m", count: 65))\"", "is not a valid reference name"),
    ])
    func badNames(_ name: String, _ says: String) {
        let found = issues(
            manifest(
                references: "{\(name): {\"file\": \"a.png\"}}",
                scenes: "{\"scene_number\": 1, \"image_create_prompt\": \"a\"}"
            )
        )
        #expect(found.first?.message.contains(says) == true, "\(found)")
        #expect(found.first?.line == 1)
    }

    @Test(arguments: [
        ("../x.png", "leaves the reference library"),
        ("a/../../x.png", "leaves the reference library"),
        ("/etc/passwd", "is an absolute path"),
        ("a//b.png", "has an empty or"),
        ("./a.png", "has an empty or"),
        ("a\\\\b.png", "holds a backslash"),
        ("", "is empty"),
    ])
    func badFiles(_ file: String, _ says: String) {
        let found = issues(
            manifest(
                references: "{\"x\": {\"file\": \"\(file)\"}}",
                scenes: "{\"scene_number\": 1, \"image_create_prompt\": \"a\", \"references\": [\"x\"]}"
            )
        )
        #expect(found.count == 1, "only the file, not also an unknown name: \(found)")
        #expect(found.first?.path == "references.x.file")
        #expect(found.first?.message.contains(says) == true, "\(found)")
    }

    @Test func kindAndFileAreChecked() {
        let found = issues(
            manifest(
                references: "{\"x\": {\"kind\": \"person\"}, \"y\": {\"file\": \"y.png\", \"kind\": \"person\"}}",
                scenes: "{\"scene_number\": 1, \"image_create_prompt\": \"a\"}"
            )
        )
        #expect(found.map(\.path) == ["references.x.file", "references.y.kind"])
        #expect(found[1].message.contains("must be \"character\" or \"object\""))
    }

    @Test func sceneReferencesNameEntriesOnceEach() {
        let refs = "{\"mika\": {\"file\": \"m.png\"}, \"cafe\": {\"file\": \"c.png\"}}"
        let found = issues(
            manifest(
                references: refs,
                scenes:
                    "{\"scene_number\": 1, \"image_create_prompt\": \"a\", \"references\": [\"mika\", \"mikka\", \"mika\", 3]}"
            )
        )
        #expect(found.map(\.path) == ["scenes[0].references[1]", "scenes[0].references[2]", "scenes[0].references[3]"])
        #expect(found[0].message.contains("did you mean \"mika\"?"))
        #expect(found[0].message.contains("The manifest's references are: mika, cafe"))
        #expect(found[1].message.contains("listed twice"))
        let noMap = issues(
            "{\"scenes\": [{\"scene_number\": 1, \"image_create_prompt\": \"a\", \"references\": [\"mika\"]}]}"
        )
        #expect(noMap.first?.message.contains("the manifest has no \"references\" map") == true)
    }

    @Test func continueFromNamesAnotherSceneAndMakesNoCycle() {
        func scenes(_ pairs: [(Int, Int?)]) -> String {
            pairs.map { n, from in
                "{\"scene_number\": \(n), \"image_create_prompt\": \"s\(n)\""
                    + (from.map { ", \"continue_from\": \($0)" } ?? "") + "}"
            }.joined(separator: ",\n")
        }
        let selfish = issues(manifest(references: "{}", scenes: scenes([(1, 1)])))
        #expect(selfish.first?.message.contains("cannot continue from itself") == true)
        #expect(selfish.first?.path == "scenes[0].continue_from")
        let unknown = issues(manifest(references: "{}", scenes: scenes([(1, nil), (2, 7)])))
        #expect(unknown.first?.message.contains("no scene has scene_number 7") == true)
        #expect(unknown.first?.path == "scenes[1].continue_from")
        #expect(unknown.first?.line == 2)
        // Two cycles, each said once; a chain into a cycle is not a cycle of its own.
        let cycles = issues(
            manifest(references: "{}", scenes: scenes([(1, 2), (2, 1), (3, 4), (4, 5), (5, 3), (6, 3)]))
        )
        #expect(cycles.map(\.path) == ["scenes[0].continue_from", "scenes[2].continue_from"], "\(cycles)")
        #expect(cycles[0].message.contains("scene 1 continues from 2, 2 from 1"))
        #expect(cycles[1].message.contains("scene 3 continues from 4, 4 from 5, 5 from 3"))
        let chain = issues(manifest(references: "{}", scenes: scenes([(1, nil), (2, 1), (3, 2)])))
        #expect(chain.isEmpty)
    }

    @Test func anUnusedReferenceIsAWarning() throws {
        let m = try decode(
            manifest(
                references: "{\"spare\": {\"file\": \"s.png\"}}",
                scenes: "{\"scene_number\": 1, \"image_create_prompt\": \"a\"}"
            )
        )
        #expect(m.warnings.map(\.path) == ["references.spare"])
        #expect(m.references.count == 1, "still read and recorded")
    }
}
