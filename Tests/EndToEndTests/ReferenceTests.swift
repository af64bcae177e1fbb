import FakeGemini
import Foundation
import Imaging
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Contract §7 through the built binary: reference images from the library, continuity from an earlier
/// scene, and every way a reference can be refused before anything is paid for.
@Suite struct ReferenceTests {
    static var jpeg: [UInt8] { GeminiEndToEndTests.jpeg }

    /// A distinct image per prompt, so each reference can be told from the others.
    static func picture(_ text: String, _ width: Int, _ height: Int, _ format: OutputFormat = .png) -> [UInt8] {
        (try? PlaceholderCard(
            sceneNumber: 7,
            prompt: text,
            style: "minimal",
            width: width,
            height: height,
            format: format
        )
        .render()) ?? []
    }

    func environment(_ server: FakeGeminiServer) -> [String: String] {
        ["SCENEDROP_GEMINI_BASE_URL": server.baseURL, "GEMINI_API_KEY": GeminiEmulator.validKey]
    }

    /// The library of contract §7's example: Mika (a character, larger than 1536 px) and the café.
    func makeLibrary(_ root: String) throws {
        try writeFile(root + "/references/characters/mika.png", Self.picture("Mika", 2400, 1600))
        try writeFile(root + "/references/places/corner-cafe.jpg", Self.picture("cafe", 1200, 800, .jpeg))
    }

    static let barista = """
        {
          "session": "ep43-the-barista",
          "width": 640, "height": 360,
          "references": {
            "mika": { "file": "characters/mika.png", "kind": "character", "description": "Mika, the barista: short black hair, green apron" },
            "cafe": { "file": "places/corner-cafe.jpg" }
          },
          "scenes": [
            { "scene_number": 1, "image_create_prompt": "Mika opens the cafe at dawn", "references": ["mika", "cafe"] },
            { "scene_number": 2, "image_create_prompt": "Mika pours latte art, close-up", "references": ["mika"], "continue_from": 1 },
            { "scene_number": 3, "image_create_prompt": "An empty street at night" }
          ]
        }
        """

    func process(
        _ root: String,
        _ server: FakeGeminiServer,
        _ extra: [String] = []
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await SceneDropProcess.run(
            ["process", "--root", root, "--settle", "0s", "--log-level", "debug"] + extra,
            logDirectory: root,
            environment: environment(server)
        )
    }

    @Test func twoReferencesAndAContinuation() async throws {
        // Each scene's answer differs, so scene 2's extra image can only be scene 1's.
        let emulator = GeminiEmulator { call in
            GeminiEmulator.image(Self.picture(call.prompt, 1376, 768, .jpeg), mimeType: "image/jpeg")
        }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try makeLibrary(root)
                try writeFile(root + "/inbox/barista.json", Self.barista)
                let result = try await process(root, server)
                #expect(result.status == 0, "\(result.stderr)")
                let out = root + "/outbox/ep43-the-barista"
                let received = emulator.receivedImages
                #expect(received.count == 3)
                let first = try #require(received.firstIndex { $0.prompt.contains("opens the cafe") })
                let second = try #require(received.firstIndex { $0.prompt.contains("pours latte") })
                let third = try #require(received.first { $0.prompt.contains("empty street") })
                #expect(first < second, "scene 2 waits for scene 1's image")
                #expect(received[first].images.count == 2)
                #expect(received[second].images.count == 2)
                #expect(third.images.isEmpty, "a scene without references sends none")
                // Named in order before the prompt; each library file read, fitted within 1536 px, sent in order.
                #expect(
                    received[first].prompt.hasPrefix(
                        "Image 1: Mika, the barista: short black hair, green apron.\nImage 2: cafe."
                    )
                )
                let mika = try ImageFitter.fit(
                    try #require(readFile(root + "/references/characters/mika.png")),
                    longSide: 1536
                )
                let cafe = try ImageFitter.fit(
                    try #require(readFile(root + "/references/places/corner-cafe.jpg")),
                    longSide: 1536
                )
                #expect((mika.width, mika.height) == (1536, 1024))
                #expect(received[first].images.map(\.bytes) == [mika.bytes, cafe.bytes])
                #expect(received[first].images.map(\.mimeType) == ["image/jpeg", "image/jpeg"])
                // Scene 2: Mika, then scene 1's published image.
                let scene1 = try #require(readFile(out + "/scene-001.png"))
                let continued = try ImageFitter.fit(scene1, longSide: 1536)
                #expect(received[second].images.map(\.bytes) == [mika.bytes, continued.bytes])
                #expect(received[second].prompt.contains("Image 2: scene 1 of this session, to continue from."))

                let meta2 = try #require(jsonObject(out + "/scene-002.json"))
                let refs = try #require(meta2["references"] as? [[String: Any]])
                #expect(refs.map { $0["name"] as? String } == ["mika", "scene-001"])
                #expect(refs.map { $0["file"] as? String } == ["characters/mika.png", "scene-001.png"])
                #expect(refs.map { $0["kind"] as? String } == ["character", "object"])
                #expect(
                    refs[0]["sha256"] as? String
                        == Digest.sha256Hex(readFile(root + "/references/characters/mika.png") ?? [])
                )
                #expect(refs[1]["sha256"] as? String == Digest.sha256Hex(scene1))
                #expect(refs[0]["from_scene"] is NSNull)
                #expect(refs[1]["from_scene"] as? Int == 1)
                #expect((jsonObject(out + "/scene-003.json")?["references"] as? [Any])?.isEmpty == true)
                let session = try #require(jsonObject(out + "/session.json"))
                let map = try #require(session["references"] as? [String: [String: Any]])
                #expect(map["mika"]?["file"] as? String == "characters/mika.png")
                #expect(map["mika"]?["kind"] as? String == "character")
                #expect(map["mika"]?["description"] as? String == "Mika, the barista: short black hair, green apron")
                #expect(map["cafe"]?["kind"] as? String == "object")
                #expect(
                    map["cafe"]?["sha256"] as? String
                        == Digest.sha256Hex(readFile(root + "/references/places/corner-cafe.jpg") ?? [])
                )
                // The page's strip: a preview of each reference, published with the session.
                #expect(FileSystem.exists(out + "/.thumbs/ref-mika.jpg"))
                #expect(FileSystem.exists(out + "/.thumbs/ref-cafe.jpg"))
                // Each library file read and fitted once for the session.
                #expect(result.stderr.components(separatedBy: DaemonLog.referenceLoaded.rawValue).count - 1 == 2)
            }
        }
    }

    /// While scene 2 waits for scene 1's image, scene 3 (which waits for nothing) is already asked for.
    @Test func independentScenesDoNotWaitForAContinuation() async throws {
        let gate = Gate()
        let emulator = GeminiEmulator { call in
            var answer = GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg")
            if call.prompt.contains("opens the cafe") { answer.heldBy = gate }
            return answer
        }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try makeLibrary(root)
                let daemon = try await WatchDaemon.start(root, environment: environment(server))
                try dropFile(root + "/inbox/barista.json", Self.barista)
                try await daemon.waitUntil("scenes 1 and 3 asked for") { emulator.receivedImages.count == 2 }
                let asked = emulator.receivedImages.map(\.prompt)
                #expect(asked.contains { $0.contains("opens the cafe") })
                #expect(asked.contains { $0.contains("empty street") }, "scene 3 does not wait")
                #expect(try publishedSessions(root + "/outbox").isEmpty)
                // Scene 2 is not asked for while scene 1's answer is held.
                #expect(!asked.contains { $0.contains("pours latte") })
                gate.release()
                let session = try #require(try await waitForSessions(root + "/outbox", count: 1).first)
                #expect(session.sceneEntries.count == 3)
                let order = emulator.receivedImages.map(\.prompt)
                #expect(order.last?.contains("pours latte") == true)
                #expect(try await daemon.stop() == 0)
            }
        }
    }

    @Test func aChangedLibraryFileIsACacheMiss() async throws {
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try makeLibrary(root)
                try writeFile(root + "/inbox/a.json", Self.barista)
                #expect(try await process(root, server).status == 0)
                #expect(server.generateRequests.count == 3)
                // The same manifest and library: every scene from the cache.
                try writeFile(root + "/inbox/a.json", Self.barista)
                #expect(try await process(root, server).status == 0)
                #expect(server.generateRequests.count == 3)
                // Mika's file changed: scenes 1 and 2 are made again (2 through its new continuation), 3 is not.
                try writeFile(root + "/references/characters/mika.png", Self.picture("Mika, new haircut", 2400, 1600))
                try writeFile(root + "/inbox/a.json", Self.barista)
                #expect(try await process(root, server).status == 0)
                #expect(server.generateRequests.count == 5)
                let session = try #require(jsonObject(root + "/outbox/ep43-the-barista/session.json"))
                let statuses = (session["scenes"] as? [[String: Any]])?.map { $0["status"] as? String }
                #expect(statuses == ["generated", "generated", "cached"])
            }
        }
    }

    /// A manifest and what its quarantine report must say; `library` prepares the library first.
    struct Refusal: CustomTestStringConvertible, Sendable {
        var label: String
        var references: String
        var scenes: String = "{\"scene_number\": 1, \"image_create_prompt\": \"Mika\", \"references\": [\"mika\"]}"
        var reason: String
        var path: String
        var says: String
        var library: @Sendable (String) throws -> Void = { _ in }
        var testDescription: String { label }
    }

    static let refusals: [Refusal] = [
        Refusal(
            label: "../ out of the library",
            references: "{\"mika\": {\"file\": \"../secret.png\"}}",
            reason: "invalid_manifest",
            path: "references.mika.file",
            says: "leaves the reference library"
        ),
        Refusal(
            label: "an absolute path",
            references: "{\"mika\": {\"file\": \"/etc/passwd\"}}",
            reason: "invalid_manifest",
            path: "references.mika.file",
            says: "is an absolute path"
        ),
        Refusal(
            label: "a symbolic link inside the library",
            references: "{\"mika\": {\"file\": \"mika.png\"}}",
            reason: "missing_reference",
            path: "references.mika.file",
            says: "mika.png in the reference library",
            library: { root in
                try writeFile(root + "/secret.png", ReferenceTests.picture("secret", 64, 64))
                _ = symlink(root + "/secret.png", root + "/references/mika.png")
            }
        ),
        Refusal(
            label: "a symbolically linked folder on the way",
            references: "{\"mika\": {\"file\": \"characters/mika.png\"}}",
            reason: "missing_reference",
            path: "references.mika.file",
            says: "characters in the reference library",
            library: { root in
                try writeFile(root + "/elsewhere/mika.png", ReferenceTests.picture("elsewhere", 64, 64))
                _ = symlink(root + "/elsewhere", root + "/references/characters")
            }
        ),
        Refusal(
            label: "the library folder under the root swapped for a link",
            references: "{\"mika\": {\"file\": \"mika.png\"}}",
            reason: "missing_reference",
            path: "references.mika.file",
            says: "is a symbolic link, so mika.png was not read",
            library: { root in
                try writeFile(root + "/pictures/mika.png", ReferenceTests.picture("private", 64, 64))
                try FileSystem.removeTree(root + "/references")
                _ = symlink(root + "/pictures", root + "/references")
            }
        ),
        Refusal(
            label: "an unknown name",
            references: "{\"mika\": {\"file\": \"mika.png\"}}",
            scenes: "{\"scene_number\": 1, \"image_create_prompt\": \"Mika\", \"references\": [\"mikka\"]}",
            reason: "invalid_manifest",
            path: "scenes[0].references[0]",
            says: "unknown reference \"mikka\"; did you mean \"mika\"?"
        ),
        Refusal(
            label: "a cycle",
            references: "{}",
            scenes: """
                {"scene_number": 1, "image_create_prompt": "a", "continue_from": 3},
                {"scene_number": 2, "image_create_prompt": "b", "continue_from": 1},
                {"scene_number": 3, "image_create_prompt": "c", "continue_from": 2}
                """,
            reason: "invalid_manifest",
            path: "scenes[0].continue_from",
            says: "continue_from makes a cycle: scene 1 continues from 3, 3 from 2, 2 from 1"
        ),
    ]

    @Test(arguments: refusals)
    func refusedWithALocatedMessageAndNoRequest(_ refusal: Refusal) async throws {
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try FileSystem.makeDirectories(root + "/references")
                try refusal.library(root)
                let manifest =
                    "{\"session\": \"s\", \"references\": \(refusal.references),\n \"scenes\": [\(refusal.scenes)]}"
                try writeFile(root + "/inbox/bad.json", manifest)
                let validate = try await SceneDropProcess.run(
                    ["validate", "--root", root, root + "/inbox/bad.json"],
                    logDirectory: root
                )
                #expect(validate.status == 1)
                #expect(validate.stdout.contains(refusal.path), "\(validate.stdout)")
                let result = try await process(root, server)
                #expect(result.status == 1, "a quarantined manifest: \(result.stderr)")
                let report = try #require(jsonObject(root + "/quarantine/bad.json.error.json"))
                #expect(report["reason"] as? String == refusal.reason)
                let errors = try #require(report["errors"] as? [[String: Any]])
                #expect(errors.first?["path"] as? String == refusal.path)
                #expect((errors.first?["message"] as? String)?.contains(refusal.says) == true, "\(errors)")
                #expect(errors.first?["line"] as? Int != nil, "located by line")
                #expect((report["message"] as? String)?.contains(refusal.says) == true)
                #expect(server.generateRequests.isEmpty, "nothing is sent for a refused manifest")
                #expect(!server.requests.contains { $0.method == "POST" })
                #expect(try publishedSessions(root + "/outbox").isEmpty)
            }
        }
    }

    /// One file under two names (a character sheet that is also a prop) is read and fitted once for the session;
    /// each name is recorded, with the one file's SHA-256.
    @Test func oneFileUnderTwoNamesIsReadOnce() async throws {
        try await withTemporaryDirectory { root in
            try makeLibrary(root)
            let manifest = """
                {"session": "twice", "width": 320, "height": 180,
                 "references": {"mika": {"file": "characters/mika.png", "kind": "character"},
                                "poster": {"file": "characters/mika.png"}},
                 "scenes": [{"scene_number": 1, "image_create_prompt": "a", "references": ["mika", "poster"]}]}
                """
            try writeFile(root + "/inbox/twice.json", manifest)
            let result = try await SceneDropProcess.run(
                ["process", "--root", root, "--settle", "0s", "--log-level", "debug"],
                logDirectory: root
            )
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.components(separatedBy: DaemonLog.referenceLoaded.rawValue).count - 1 == 1)
            let map = try #require(
                jsonObject(root + "/outbox/twice/session.json")?["references"] as? [String: [String: Any]]
            )
            #expect(map.keys.sorted() == ["mika", "poster"])
            #expect(map["mika"]?["sha256"] as? String == map["poster"]?["sha256"] as? String)
            #expect(map["poster"]?["kind"] as? String == "object")
        }
    }

    /// A library the operator names with --references may be a link (their choice), and is followed.
    @Test func aLibraryNamedWithReferencesMayBeALink() async throws {
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try writeFile(root + "/shared/art/characters/mika.png", Self.picture("Mika", 600, 400))
                try writeFile(root + "/shared/art/places/corner-cafe.jpg", Self.picture("cafe", 600, 400, .jpeg))
                #expect(symlink(root + "/shared/art", root + "/library") == 0)
                try writeFile(root + "/inbox/barista.json", Self.barista)
                let result = try await process(root, server, ["--references", root + "/library"])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(emulator.receivedImages.count == 3)
            }
        }
    }

    @Test func aFileDeletedBeforeTheRunIsAMissingReference() async throws {
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try makeLibrary(root)
                try writeFile(root + "/inbox/barista.json", Self.barista)
                let validate = try await SceneDropProcess.run(
                    ["validate", "--root", root, root + "/inbox/barista.json"],
                    logDirectory: root
                )
                #expect(validate.status == 0, "\(validate.stdout)")
                try FileSystem.unlinkFile(root + "/references/places/corner-cafe.jpg")
                #expect(try await process(root, server).status == 1)
                let report = try #require(jsonObject(root + "/quarantine/barista.json.error.json"))
                #expect(report["reason"] as? String == "missing_reference")
                let message = try #require(report["message"] as? String)
                #expect(message.contains("places/corner-cafe.jpg"))
                #expect(message.contains(root + "/references"), "names the library folder")
                #expect((report["errors"] as? [[String: Any]])?.first?["path"] as? String == "references.cafe.file")
                #expect(!server.requests.contains { $0.method == "POST" }, "nothing is sent")
            }
        }
    }

    @Test func aModelThatCannotTakeTheReferencesIsSkipped() async throws {
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                for name in ["a", "b", "c", "d"] {
                    try writeFile(root + "/references/\(name).png", Self.picture(name, 200, 200))
                }
                // 2.5 Flash Image takes 3 reference images; this scene has 4.
                let manifest = """
                    {"session": "four", "model": "gemini-2.5-flash-image", "width": 640, "height": 360,
                     "references": {"a": {"file": "a.png"}, "b": {"file": "b.png"}, "c": {"file": "c.png"}, "d": {"file": "d.png"}},
                     "scenes": [{"scene_number": 1, "image_create_prompt": "four things", "references": ["a", "b", "c", "d"]}]}
                    """
                try writeFile(root + "/inbox/four.json", manifest)
                #expect(try await process(root, server).status == 0)
                #expect(emulator.calls(to: "gemini-2.5-flash-image") == 0)
                #expect(emulator.calls(to: "gemini-3.1-flash-lite-image") == 1)
                let meta = try #require(jsonObject(root + "/outbox/four/scene-001.json"))
                let tried = try #require((meta["fallback"] as? [String: Any])?["tried"] as? [[String: Any]])
                #expect(tried.first?["model"] as? String == "gemini-2.5-flash-image")
                #expect((tried.first?["error"] as? String)?.contains("4 images (it takes 3)") == true, "\(tried)")
                #expect(emulator.receivedImages.first?.images.count == 4)

                // A chain none of whose models can take them: the manifest is invalid, and nothing is sent.
                try writeFile(
                    root + "/inbox/none.json",
                    manifest.replacingOccurrences(of: "\"four\"", with: "\"none\"")
                )
                let before = server.requests.filter { $0.method == "POST" }.count
                #expect(try await process(root, server, ["--draft-models", "gemini-2.5-flash-image"]).status == 1)
                let report = try #require(jsonObject(root + "/quarantine/none.json.error.json"))
                #expect(report["reason"] as? String == "invalid_manifest")
                #expect((report["message"] as? String)?.contains("no model of the draft chain can take") == true)
                #expect((report["errors"] as? [[String: Any]])?.first?["path"] as? String == "scenes[0].references")
                #expect(server.requests.filter { $0.method == "POST" }.count == before)
            }
        }
    }

    @Test func batchModeSendsReferencesInline() async throws {
        let emulator = GeminiEmulator { _ in GeminiEmulator.image(Self.jpeg, mimeType: "image/jpeg") }
        emulator.setBatchBehaviour(BatchBehaviour(pendingFor: .zero, runningFor: .zero))
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try makeLibrary(root)
                let manifest = Self.barista.replacingOccurrences(
                    of: "\"session\": \"ep43-the-barista\",",
                    with: "\"session\": \"ep43-the-barista\", \"priority\": \"batch\","
                )
                try writeFile(root + "/inbox/batch.json", manifest)
                let result = try await process(root, server, ["--batch-poll", "100ms"])
                #expect(result.status == 0, "\(result.stderr)")
                let creates = server.requests.filter { $0.path.hasSuffix(":batchGenerateContent") }
                #expect(creates.count == 1)
                // Scenes 1 and 3 in the batch, scene 1 with both images inline; scene 2 (continuing) interactive.
                let received = emulator.receivedImages
                #expect(received.first { $0.prompt.contains("opens the cafe") }?.images.count == 2)
                #expect(received.first { $0.prompt.contains("empty street") }?.images.count == 0)
                #expect(received.first { $0.prompt.contains("pours latte") }?.images.count == 2)
                #expect(server.generateRequests.count == 1, "only the continuing scene went interactive")
                let session = try #require(jsonObject(root + "/outbox/ep43-the-barista/session.json"))
                #expect((session["scenes"] as? [[String: Any]])?.count == 3)
            }
        }
    }

    @Test func openAIGetsTheReferencesThroughEdits() async throws {
        let emulator = OpenAIEmulator { _ in OpenAIEmulator.image(Self.jpeg, input: 30, output: 400) }
        try await withFakeGemini({ emulator.handle($0) }) { server in
            try await withTemporaryDirectory { root in
                try makeLibrary(root)
                try writeFile(root + "/inbox/barista.json", Self.barista)
                let result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s", "--providers", "openai"],
                    logDirectory: root,
                    environment: [
                        "SCENEDROP_OPENAI_BASE_URL": server.baseURL, "OPENAI_API_KEY": OpenAIEmulator.validKey,
                    ]
                )
                #expect(result.status == 0, "\(result.stderr)")
                let edits = server.requests.filter { $0.path == "/v1/images/edits" }
                let generations = server.requests.filter { $0.path == "/v1/images/generations" }
                #expect(edits.count == 2, "the two scenes with references")
                #expect(generations.count == 1, "the scene without")
                let calls = emulator.accepted
                let first = try #require(calls.first { $0.prompt.contains("opens the cafe") })
                let mika = try ImageFitter.fit(
                    try #require(readFile(root + "/references/characters/mika.png")),
                    longSide: 1536
                )
                #expect(first.images.map(\.bytes).first == mika.bytes)
                #expect(first.images.map(\.name) == ["mika.jpg", "cafe.jpg"])
                #expect(first.prompt.hasPrefix("Image 1: Mika, the barista"))
                let second = try #require(calls.first { $0.prompt.contains("pours latte") })
                #expect(second.images.count == 2)
                let meta = try #require(jsonObject(root + "/outbox/ep43-the-barista/scene-002.json"))
                #expect(meta["provider"] as? String == "openai")
            }
        }
    }

    /// Without a key: every scene a placeholder card naming its references, no placeholder sent on as a
    /// continuation (session.json says so), and the page's strip of reference previews.
    @Test func placeholdersNameTheirReferencesAndThePageShowsTheStrip() async throws {
        try await withTemporaryDirectory { root in
            try makeLibrary(root)
            let web = try await WebDaemon.start(root)
            try dropFile(root + "/inbox/barista.json", Self.barista)
            let session = try #require(try await waitForSessions(root + "/outbox", count: 1).first)
            let meta = try #require(jsonObject(session.path + "/scene-002.json"))
            #expect(meta["provider"] as? String == "placeholder")
            #expect((meta["references"] as? [[String: Any]])?.map { $0["name"] as? String } == ["mika"])
            let warnings = (jsonObject(session.path + "/session.json")?["warnings"] as? [[String: Any]]) ?? []
            #expect(
                warnings.contains {
                    $0["path"] as? String == "scenes[1].continue_from"
                        && ($0["message"] as? String)?.contains("scene 1 is a placeholder") == true
                },
                "\(warnings)"
            )
            let page = try await web.get("/")
            #expect(page.text.contains("<div class=\"references\""))
            for name in ["mika", "cafe"] {
                let link = "/sessions/ep43-the-barista/references/\(name)"
                #expect(page.text.contains("src=\"\(link)\""))
                let answer = try await web.get(link)
                #expect(answer.status == 200 && answer.headers["content-type"] == "image/jpeg")
                #expect(try ImageInspector.inspect(answer.body).format == .jpeg)
            }
            #expect(page.text.contains("title=\"Mika, the barista: short black hair, green apron\""))
            // Only names session.json lists: nothing else under the session is reachable this way.
            #expect(try await web.get("/sessions/ep43-the-barista/references/nobody").status == 404)
            #expect(try await web.get("/sessions/ep43-the-barista/references/..%2Fsession.json").status == 404)
        }
    }
}
