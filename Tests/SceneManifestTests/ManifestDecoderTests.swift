import Foundation
import SceneManifest
import TestSupport
import Testing

private func decode(_ text: String, file: String = "m.json") throws(ManifestError) -> Manifest {
    try ManifestDecoder.decode(Array(text.utf8), fileName: file)
}

private func failure(_ text: String, file: String = "m.json") -> ManifestError? {
    failure(Array(text.utf8), file: file)
}

private func failure(_ bytes: [UInt8], file: String = "m.json") -> ManifestError? {
    do {
        _ = try ManifestDecoder.decode(bytes, fileName: file)
        return nil
    } catch {
        return error
    }
}

@Suite struct ManifestDecoderTests {
    /// A hostile manifest of 1 MiB holding 169,999 duplicate keys (and as many unknown ones): the error lists
    /// the first 1,000 and counts them all, so no report grows to 25 MB.
    @Test func aFloodOfIssuesIsListedUpToALimitAndCounted() throws {
        let members = (0..<170_000).map { _ in #""x":1"# }.joined(separator: ",")
        let text = #"{"scenes":[{"scene_number":1,"image_create_prompt":"p"}],"# + members + "}"
        #expect(text.utf8.count <= ManifestDecoder.maximumBytes)
        #expect(throws: ManifestError.self) { try ManifestDecoder.decode(Array(text.utf8), fileName: "flood.json") }
        do {
            _ = try ManifestDecoder.decode(Array(text.utf8), fileName: "flood.json")
        } catch {
            #expect(error.issues.count == 1000)
            #expect(error.issueCount == 169_999)
            #expect(error.message.hasSuffix("(and 169998 more)"), "\(error.message)")
        }

        let unknown = (0..<5000).map { #""u\#($0)":1"# }.joined(separator: ",")
        let manifest = try ManifestDecoder.decode(
            Array((#"{"scenes":[{"scene_number":1,"image_create_prompt":"p"}],"# + unknown + "}").utf8),
            fileName: "u.json"
        )
        #expect(manifest.warnings.count == 1001)
        #expect(manifest.warnings.last?.message == "4000 more warnings not listed (5000 in all)")
    }

    @Test func fullManifestDecodesWithEveryField() throws {
        let m = try decode(
            """
            {"session": "ep42-cold-open", "quality": "production", "aspect_ratio": "4:3", "width": 1600, "height": 1200,
             "style": "watercolor", "negative_prompt": "text", "model": "gemini-3-pro-image",
             "scenes": [{"scene_number": 7, "image_create_prompt": "A cat", "image_style": "Comic Panel", "negative_prompt": "dogs"},
                        {"scene_number": 2, "image_create_prompt": "A dog"}]}
            """
        )
        #expect(m.session == "ep42-cold-open")
        #expect(m.quality == .production)
        #expect(m.aspectRatio.description == "4:3")
        #expect(m.width == 1600 && m.height == 1200)
        #expect(m.model == "gemini-3-pro-image")
        #expect(m.scenes.count == 2)
        #expect(m.scenes[0].style == .comicPanel)
        #expect(m.scenes[0].negativePrompt == "dogs")
        #expect(m.scenes[1].style == .watercolor)
        #expect(m.scenes[1].negativePrompt == "text")
        #expect(m.warnings.isEmpty)
    }

    @Test func priorityIsInteractiveOrBatch() throws {
        #expect(
            try decode(#"{"priority": "batch", "scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#).priority
                == .batch
        )
        #expect(
            try decode(#"{"priority": "Interactive", "scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#)
                .priority == .interactive
        )
        let m = try decode(#"{"scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#)
        #expect(m.priority == nil && m.warnings.isEmpty, "absent: the daemon's --priority decides")
        let e = try #require(
            failure("{\"scenes\": [{\"scene_number\": 1, \"image_create_prompt\": \"x\"}],\n \"priority\": \"urgent\"}")
        )
        #expect(e.reason == .invalidManifest && e.issues.map(\.path) == ["priority"])
        #expect(
            e.issues.first?.message.contains("\"interactive\"") == true
                && e.issues.first?.message.contains("\"batch\"") == true
        )
        #expect(e.issues.first?.line == 2, "located: \(String(describing: e.issues.first))")
    }

    @Test func defaultsApply() throws {
        let m = try decode(
            #"{"scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#,
            file: "My Episode (cut 2).json"
        )
        #expect(m.session == "My-Episode--cut-2-c00dafb8")
        #expect(m.quality == .draft)
        #expect(m.aspectRatio.description == "16:9")
        #expect(m.width == 1920 && m.height == 1080)
        #expect(m.style == .cinematic)
        #expect(m.negativePrompt == nil)
    }

    @Test(arguments: [
        ("1:1", 1920, 1920), ("9:16", 1080, 1920), ("4:3", 1920, 1440), ("21:9", 1920, 823), ("2:3", 1280, 1920),
    ])
    func defaultSizeFollowsTheAspectRatio(ratio: String, width: Int, height: Int) throws {
        let m = try decode(
            #"{"aspect_ratio": "\#(ratio)", "scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#
        )
        #expect(m.width == width && m.height == height)
    }

    @Test func oneSideDerivesTheOther() throws {
        let m = try decode(#"{"width": 1280, "scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#)
        #expect(m.height == 720)
    }

    @Test func bareArrayIsAManifestWithDefaults() throws {
        let m = try decode(
            #"[{"scene_number": 1, "image_create_prompt": "x"}, {"scene_number": 2, "image_create_prompt": "y", "image_style": "anime"}]"#,
            file: "board.JSON"
        )
        #expect(m.session == "board")
        #expect(m.scenes.map(\.style) == [.cinematic, .anime])
    }

    @Test func unknownFieldsAreWarningsWithAHint() throws {
        let m = try decode(
            #"{"sesion": "x", "scenes": [{"scene_number": 1, "image_create_prompt": "x", "camera": "dolly"}]}"#
        )
        #expect(m.warnings.map(\.path) == ["sesion", "scenes[0].camera"])
        #expect(m.warnings[0].message.contains("did you mean \"session\""))
        #expect(m.warnings[0].line == 1 && m.warnings[0].column == 2)
    }

    @Test func byteOrderMarkIsIgnoredWithAWarning() throws {
        let m = try ManifestDecoder.decode(
            [0xEF, 0xBB, 0xBF] + Array(#"{"scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#.utf8),
            fileName: "b.json"
        )
        #expect(m.warnings.contains { $0.message.contains("byte order mark") })
    }

    @Test func syntaxErrorsHaveLineAndColumn() throws {
        let e = try #require(failure("{\n  \"session\": \"a\",\n  \"scenes\": [1 2]\n}"))
        #expect(e.reason == .invalidJSON)
        #expect(e.line == 3 && e.column == 16)
        #expect(e.message.contains("line 3, column 16"))
        #expect(!e.endedEarly)
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let e = try #require(failure("{\"session\": \"é\" x}"))
        #expect(e.line == 1 && e.column == 17)
    }

    @Test func truncatedJSONSaysItEndedEarly() throws {
        let e = try #require(failure(#"{"session": "a", "scenes": [{"scene_number": 1, "image_"#))
        #expect(e.reason == .invalidJSON)
        #expect(e.endedEarly)
        let empty = try #require(failure(""))
        #expect(empty.endedEarly)
        #expect(empty.message.contains("empty"))
    }

    @Test func missingPromptIsLocatedByPath() throws {
        let e = try #require(
            failure(
                """
                {"scenes": [
                  {"scene_number": 1, "image_create_prompt": "a"},
                  {"scene_number": 2, "image_create_prompt": "b"},
                  {"scene_number": 3}
                ]}
                """
            )
        )
        #expect(e.reason == .invalidManifest)
        #expect(e.issues.map(\.path) == ["scenes[2].image_create_prompt"])
        #expect(e.issues[0].message == "is required")
        #expect(e.issues[0].line == 4 && e.issues[0].column == 3)
    }

    @Test func unknownStyleSuggestsTheNearestName() throws {
        let e = try #require(
            failure(#"{"scenes": [{"scene_number": 1, "image_create_prompt": "x", "image_style": "cinematc"}]}"#)
        )
        #expect(e.issues[0].path == "scenes[0].image_style")
        #expect(e.issues[0].message.contains("did you mean \"cinematic\""))
        let far = try #require(
            failure(#"{"style": "baroque", "scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#)
        )
        #expect(!far.issues[0].message.contains("did you mean"))
        #expect(far.issues[0].message.contains("watercolor"))
    }

    @Test func stylesAreLenientAboutCaseAndSeparators() throws {
        for spelling in ["close-up reaction", "CLOSE_UP_REACTION", "Close Up-Reaction"] {
            let m = try decode(
                #"{"scenes": [{"scene_number": 1, "image_create_prompt": "x", "image_style": "\#(spelling)"}]}"#
            )
            #expect(m.scenes[0].style == .closeUpReaction)
        }
    }

    @Test(arguments: [
        "../x", "/etc", "a/b", "has space", "ünïcode", "new\\nline", "", ".hidden", "-dash",
        String(repeating: "a", count: 129),
    ])
    func hostileSessionNamesAreRejected(name: String) throws {
        let e = try #require(
            failure(#"{"session": "\#(name)", "scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#)
        )
        #expect(e.reason == .invalidManifest)
        #expect(e.issues[0].path == "session")
        #expect(e.issues[0].line == 1)
    }

    @Test(arguments: ["0", "-1", "1.5", "1e30", "\"3\"", "true", "null", "99999999999"])
    func badSceneNumbersAreRejected(number: String) throws {
        let e = try #require(failure(#"{"scenes": [{"scene_number": \#(number), "image_create_prompt": "x"}]}"#))
        #expect(e.reason == .invalidManifest)
        #expect(e.issues[0].path == "scenes[0].scene_number")
    }

    @Test func integralExponentIsAWholeNumber() throws {
        #expect(
            try decode(#"{"scenes": [{"scene_number": 1e3, "image_create_prompt": "x"}]}"#).scenes[0].sceneNumber
                == 1000
        )
    }

    @Test func duplicateSceneNumbersPointAtBoth() throws {
        let e = try #require(
            failure(
                #"[{"scene_number": 4, "image_create_prompt": "x"}, {"scene_number": 4, "image_create_prompt": "y"}]"#
            )
        )
        #expect(e.issues[0].path == "[1].scene_number")
        #expect(e.issues[0].message.contains("[0].scene_number"))
    }

    @Test func duplicateKeysAreErrors() throws {
        let e = try #require(
            failure(#"{"session": "a", "session": "b", "scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#)
        )
        #expect(e.issues[0].path == "session")
        #expect(e.issues[0].message.contains("appears twice"))
    }

    @Test func sceneCountAndPromptLengthAreBounded() throws {
        let many =
            "[" + (1...501).map { #"{"scene_number": \#($0), "image_create_prompt": "x"}"# }.joined(separator: ",")
            + "]"
        #expect(failure(many)?.issues.first?.message.contains("at most 500") == true)
        let fiveHundred =
            "[" + (1...500).map { #"{"scene_number": \#($0), "image_create_prompt": "x"}"# }.joined(separator: ",")
            + "]"
        #expect(try decode(fiveHundred).scenes.count == 500)
        let long = String(repeating: "a", count: 8001)
        #expect(
            failure(#"[{"scene_number": 1, "image_create_prompt": "\#(long)"}]"#)?.issues.first?.message.contains(
                "8000"
            ) == true
        )
        let exact = String(repeating: "a", count: 8000)
        #expect(
            try decode(#"[{"scene_number": 1, "image_create_prompt": "\#(exact)"}]"#).scenes[0].prompt.count == 8000
        )
        #expect(
            failure(#"[{"scene_number": 1, "image_create_prompt": " \t\n "}]"#)?.issues.first?.message.contains("blank")
                == true
        )
        #expect(failure(#"{"scenes": []}"#)?.issues.first?.message.contains("at least one") == true)
    }

    @Test func sizeMustMatchTheAspectRatio() throws {
        let e = try #require(
            failure(#"{"width": 1920, "height": 1200, "scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#)
        )
        #expect(e.issues[0].message.contains("use height 1080"))
        #expect(
            failure(#"{"width": 32, "height": 18, "scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#)?
                .issues.count == 2
        )
        #expect(
            failure(#"{"width": "1920", "scenes": [{"scene_number": 1, "image_create_prompt": "x"}]}"#)?.issues[0]
                .message.contains("remove the quotes") == true
        )
    }

    @Test func notUTF8IsLocated() throws {
        let e = try #require(failure(Array(#"{"session": "caf"#.utf8) + [0xE9] + Array(#""}"#.utf8)))
        #expect(e.reason == .notUTF8)
        #expect(e.line == 1 && e.column == 17)
    }

    @Test(
        arguments: [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xFF]] as [[UInt8]]
    )
    func malformedUTF8SequencesAreRejected(sequence: [UInt8]) {
        #expect(failure(Array("[\"".utf8) + sequence + Array("\"]".utf8))?.reason == .notUTF8)
    }

    @Test func deepNestingIsRejectedWithoutRecursionTrouble() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let e = try #require(failure(deep))
        #expect(e.reason == .invalidJSON)
        #expect(e.message.contains("deeper than"))
    }

    @Test(arguments: [
        ("{\"scenes\": [1,]}", "trailing comma"), ("{'scenes': []}", "double quotes"), ("{\"a\": \"x\u{0}y\"}", "NUL"),
        ("{\"a\": \"\\ud800\"}", "surrogate"), ("{\"a\" 1}", "':'"), ("[01]", "leading zeros"),
        ("{\"a\": tru}", "'true'"),
        ("{} {}", "after the end"), ("{\"a\": \"line\nbreak\"}", "line break"),
    ])
    func syntaxErrorsExplainThemselves(text: String, expected: String) throws {
        let e = try #require(failure(text))
        #expect(e.reason == .invalidJSON)
        #expect(e.message.contains(expected), "\(e.message)")
        #expect(e.line != nil)
    }

    @Test(arguments: ["\"just a string\"", "null", "42", "{\"scenes\": {}}", "{\"scenes\": [\"x\"]}", "{}"])
    func wrongShapesAreInvalidManifests(text: String) throws {
        let e = try #require(failure(text))
        #expect(e.reason == .invalidManifest)
        #expect(!e.issues.isEmpty)
    }

    @Test func everyErrorIsReportedNotJustTheFirst() throws {
        let e = try #require(
            failure(#"{"quality": "ultra", "aspect_ratio": "16:10", "scenes": [{"scene_number": -3}]}"#)
        )
        #expect(
            Set(e.issues.map(\.path)) == [
                "quality", "aspect_ratio", "scenes[0].scene_number", "scenes[0].image_create_prompt",
            ]
        )
        #expect(e.message.contains("and 3 more"))
    }

    @Test func sessionNameFromFileName() {
        // A stem that is a session name already is used as it is.
        #expect(ManifestDecoder.sessionName(fromFileName: "ep42-cold_open.v2.json") == "ep42-cold_open.v2")
        // Anything else gets 8 hex digits of the name's SHA-256 (`printf %s 'ep42 cold open.json' | sha256sum`).
        #expect(ManifestDecoder.sessionName(fromFileName: "ep42 cold open.json") == "ep42-cold-open-a2f0bfa3")
        #expect(ManifestDecoder.sessionName(fromFileName: "__x.json") == "x-0ab7bafc")
        #expect(ManifestDecoder.sessionName(fromFileName: "ü.json") == "session-7bfc9a5e")
        // Names that differ only in replaced characters, or in their Unicode form, get sessions of their own.
        #expect(ManifestDecoder.sessionName(fromFileName: "ep?.json") == "ep-8f10acdb")
        #expect(ManifestDecoder.sessionName(fromFileName: "ep*.json") == "ep-ee1f37f5")
        let nfc = String(
            decoding: [0x63, 0x61, 0x66, 0xC3, 0xA9, 0x2E, 0x6A, 0x73, 0x6F, 0x6E] as [UInt8],
            as: UTF8.self
        )
        let nfd = String(
            decoding: [0x63, 0x61, 0x66, 0x65, 0xCC, 0x81, 0x2E, 0x6A, 0x73, 0x6F, 0x6E] as [UInt8],
            as: UTF8.self
        )
        #expect(ManifestDecoder.sessionName(fromFileName: nfc) == "caf-a44a67ee")
        #expect(ManifestDecoder.sessionName(fromFileName: nfd) == "caf-e1f9ee3f")
        let long = [String(repeating: "b", count: 300) + "1.json", String(repeating: "b", count: 300) + "2.json"]
        let names = long.map { ManifestDecoder.sessionName(fromFileName: $0) }
        #expect(names.allSatisfy { ManifestDecoder.isValidSessionName($0) && $0.count == 128 })
        #expect(names[0] != names[1])
    }

    @Test func tooLargeIsCheckedFirst() {
        let big = [UInt8](repeating: 0x20, count: ManifestDecoder.maximumBytes + 1)
        #expect(failure(big)?.reason == .tooLarge)
    }

    /// A valid manifest with 5,000 unknown keys on one line, and some on lines of their
    /// own: every warning is located right, from one pass over the text (each lookup used to rescan it
    /// from byte 0: quadratic in the file size). The time is printed, not asserted: under the
    /// parallel suite it measures the machine (README, Performance, has the release figure).
    @Test func manyUnknownKeysAreLocatedInOnePass() async throws {
        let keys = (0..<5_000).map { #""k\#($0)": 0"# }.joined(separator: ", ")
        let text =
            "{\"scenes\": [{\"scene_number\": 1, \"image_create_prompt\": \"x\"}], \(keys),\n  \"é\": 1,\n  \"last\": 2}"
        let bytes = Array(text.utf8)
        #expect(bytes.count < ManifestDecoder.maximumBytes)
        let started = ContinuousClock.now
        let m = try await onOwnThread { try ManifestDecoder.decode(bytes, fileName: "many.json") }
        let elapsed = ContinuousClock.now - started
        print("5,002 unknown keys in \(bytes.count) bytes validated in \(elapsed)")
        // The first 1,000 are listed, located; one more says how many there were in all.
        #expect(m.warnings.count == 1_001)
        let firstKey = try #require(text.range(of: "\"k0\""))
        #expect(m.warnings[0].path == "k0")
        #expect(
            m.warnings[0].line == 1
                && m.warnings[0].column == text.distance(from: text.startIndex, to: firstKey.lowerBound) + 1
        )
        let lastListed = try #require(text.range(of: "\"k999\""))
        #expect(m.warnings[999].path == "k999")
        #expect(m.warnings[999].column == text.distance(from: text.startIndex, to: lastListed.lowerBound) + 1)
        #expect(m.warnings[1_000].message == "4002 more warnings not listed (5002 in all)")
    }
}
