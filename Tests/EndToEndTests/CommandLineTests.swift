import Foundation
import Imaging
import SystemSupport
import TestSupport
import Testing

/// The seed's test cases and the contract's command line, through the built binary.
@Suite struct CommandLineTests {
    @Test func tc1CatWithCoffeeMakesARealImage() async throws {
        try await withTemporaryDirectory { root in
            try writeFile(root + "/inbox/tc1.json", readFile(packageRoot + "/samples/tc1-cat-coffee.json") ?? [])
            let result = try await SceneDropProcess.run(
                ["process", "--root", root, "--settle", "0s"],
                logDirectory: root
            )
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("published 1"))
            let sessions = try publishedSessions(root + "/outbox")
            #expect(sessions.map(\.name) == ["tc1-cat-coffee"])
            let image = try #require(readFile(root + "/outbox/tc1-cat-coffee/scene-001.png"))
            #expect(image.count > 10_000)
            let info = try ImageInspector.check(image, width: 1920, height: 1080)
            #expect(info.format == .png)
            let meta = try #require(jsonObject(root + "/outbox/tc1-cat-coffee/scene-001.json"))
            #expect(meta["schema"] as? String == "scenedrop.scene/v1")
            #expect(meta["provider"] as? String == "placeholder")
            #expect((meta["fallback"] as? [String: Any])?["reason"] as? String == "no_api_key")
            // Checked against coreutils' sha256sum, not against SceneDrop's own hashing.
            let sum = try ChildProcess("sha256sum", [root + "/outbox/tc1-cat-coffee/scene-001.png"], stdout: .pipe)
            #expect(try await sum.wait(timeout: .seconds(30)) == 0)
            let expected = String(decoding: try #require(sum.standardOutput).readDataToEndOfFile(), as: UTF8.self)
                .prefix(64)
            #expect(expected.count == 64)
            #expect((meta["image"] as? [String: Any])?["sha256"] as? String == String(expected))
            #expect(result.stderr.contains("no API key configured"))
        }
    }

    @Test func tc2FiveScenesAreAllPresent() async throws {
        try await withTemporaryDirectory { root in
            try writeFile(root + "/inbox/tc2.json", readFile(packageRoot + "/samples/tc2-five-scenes.json") ?? [])
            let result = try await SceneDropProcess.run(
                ["process", "--root", root, "--settle", "0s", "--json"],
                logDirectory: root
            )
            #expect(result.status == 0)
            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            )
            #expect((summary["published"] as? [Any])?.count == 1)
            let session = try #require(try publishedSessions(root + "/outbox").first)
            #expect(session.sceneEntries.count == 5)
            for n in 1...5 {
                #expect(FileSystem.exists(session.path + "/scene-00\(n).png"))
                #expect(FileSystem.exists(session.path + "/scene-00\(n).json"))
            }
            let totals = try #require(session.session["totals"] as? [String: Any])
            #expect(totals["scenes"] as? Int == 5)
            #expect(totals["fallbacks"] as? Int == 5)
            #expect(session.session["schema"] as? String == "scenedrop.session/v1")
            #expect(session.session["source"] as? String == "tc2.json")
            #expect(
                readFile(session.path + "/manifest.json") == readFile(packageRoot + "/samples/tc2-five-scenes.json")
            )
        }
    }

    @Test func jpegOutputAndStrictMode() async throws {
        try await withTemporaryDirectory { root in
            try writeFile(root + "/inbox/j.json", manifestJSON(session: "j"))
            let result = try await SceneDropProcess.run(
                ["process", "--root", root, "--settle", "0s", "--image-format", "jpeg"],
                logDirectory: root
            )
            #expect(result.status == 0)
            let image = try #require(readFile(root + "/outbox/j/scene-001.jpg"))
            #expect(try ImageInspector.inspect(image).format == .jpeg)

            try writeFile(root + "/inbox/s.json", manifestJSON(session: "s"))
            let strict = try await SceneDropProcess.run(
                ["process", "--root", root, "--settle", "0s", "--strict"],
                logDirectory: root
            )
            #expect(strict.status == 1)
            let report = try #require(jsonObject(root + "/quarantine/s.json.error.json"))
            #expect(report["reason"] as? String == "fallback_used")
            #expect((report["errors"] as? [[String: Any]])?.first?["path"] as? String == "scenes[0]")
        }
    }

    @Test func validateReportsEveryErrorAndExitsOne() async throws {
        try await withTemporaryDirectory { root in
            let good = try await SceneDropProcess.run(
                [
                    "validate", packageRoot + "/samples/tc1-cat-coffee.json",
                    packageRoot + "/samples/bare-array-storyboard.json",
                ],
                logDirectory: root
            )
            #expect(good.status == 0)
            #expect(good.stdout.contains("ok "))
            let bad = try await SceneDropProcess.run(
                [
                    "validate", "--json", packageRoot + "/samples/invalid/missing-prompt.json",
                    packageRoot + "/samples/invalid/syntax-error.json",
                ],
                logDirectory: root
            )
            #expect(bad.status == 1)
            let results = try #require(
                try JSONSerialization.jsonObject(with: Data(bad.stdout.utf8)) as? [[String: Any]]
            )
            #expect(results.count == 2)
            let missing = try #require((results[0]["errors"] as? [[String: Any]])?.first)
            #expect(missing["path"] as? String == "scenes[1].image_create_prompt")
            #expect(missing["line"] as? Int == 5)
            #expect(results[1]["reason"] as? String == "invalid_json")
        }
    }

    @Test func usageErrorsExitSixtyFourWithHelp() async throws {
        try await withTemporaryDirectory { root in
            let noRoot = try await SceneDropProcess.run(
                ["watch"],
                logDirectory: root,
                environment: ["SCENEDROP_ROOT": ""]
            )
            #expect(noRoot.status == 64)
            #expect(noRoot.stderr.contains("--root"))
            let badDuration = try await SceneDropProcess.run(
                ["watch", "--root", root, "--settle", "soon"],
                logDirectory: root
            )
            #expect(badDuration.status == 64)
            // Beyond any clock: used to trap (SIGILL, 132) converting 1e303 ms to an Int64; now a usage error.
            for huge in ["1e300s", "1e10d"] {
                let hugeDuration = try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", huge],
                    logDirectory: root
                )
                #expect(
                    hugeDuration.status == 64 && hugeDuration.stderr.contains("--settle"),
                    "\(huge): \(hugeDuration.status)"
                )
            }
            let badFormat = try await SceneDropProcess.run(
                ["process", "--root", root, "--image-format", "gif"],
                logDirectory: root
            )
            #expect(badFormat.status == 64)
            #expect(badFormat.stderr.contains("png or jpeg"))
            let help = try await SceneDropProcess.run(["watch", "--help"], logDirectory: root)
            #expect(help.status == 0)
            #expect(help.stdout.contains("--rescan-interval"))
            #expect(help.stdout.contains("SIGTERM"))
        }
    }

    /// Every command that works on a root says so the same way in its usage line (`--root` may also come from
    /// SCENEDROP_ROOT, so none marks it optional and another required), and no option is shown as required that the
    /// command runs without.
    @Test func usageLinesAgree() async throws {
        try await withTemporaryDirectory { root in
            for command in ["watch", "process", "status", "cleanup", "requeue"] {
                let help = try await SceneDropProcess.run([command, "--help"], logDirectory: root)
                #expect(help.status == 0)
                let usage = try #require(help.stdout.split(separator: "\n").first { $0.hasPrefix("USAGE:") })
                #expect(usage.contains("scenedrop \(command) --root <dir>"), "\(usage)")
                #expect(!usage.contains("[--root"), "\(usage)")
            }
            let cleanupHelp = try await SceneDropProcess.run(["cleanup", "--help"], logDirectory: root)
            #expect(cleanupHelp.stdout.contains("[--older-than <age>]"))
            let cleanup = try await SceneDropProcess.run(["cleanup", "--root", root, "--dry-run"], logDirectory: root)
            #expect(cleanup.status == 0, "\(cleanup.stderr)")
        }
    }

    /// A state folder on another filesystem than the inbox (here /dev/shm, a tmpfs) can never take a claim,
    /// which is a rename: both commands refuse to start, exit 64 and say what to change, instead of running
    /// and failing at every manifest. The manifest stays in the inbox, untouched.
    @Test(.enabled(if: onAnotherFilesystem("/dev/shm"), "/dev/shm is not a filesystem of its own here"))
    func aStateFolderOnAnotherFilesystemIsRefusedAtStart() async throws {
        try await withTemporaryDirectory { root in
            let state = "/dev/shm/scenedrop-state-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            defer { try? FileSystem.removeTree(state) }
            try writeFile(root + "/inbox/a.json", manifestJSON(session: "a"))
            for command in ["process", "watch"] {
                let result = try await SceneDropProcess.run(
                    [command, "--root", root, "--state-dir", state, "--settle", "0s"],
                    logDirectory: root,
                    timeout: .seconds(60)
                )
                #expect(result.status == 64, "\(command): \(result.stderr)")
                #expect(result.stderr.contains("another filesystem"), "\(result.stderr)")
                #expect(result.stderr.contains("--state-dir"), "\(result.stderr)")
                #expect(readText(root + "/inbox/a.json") == manifestJSON(session: "a"))
                #expect(listNames(root + "/inbox", hidden: true) == ["a.json"])
            }
        }
    }

    @Test func statusCountsEveryFolder() async throws {
        try await withTemporaryDirectory { root in
            try writeFile(root + "/inbox/a.json", manifestJSON(session: "a"))
            try writeFile(root + "/inbox/b.json", "not json")
            _ = try await SceneDropProcess.run(["process", "--root", root, "--settle", "0s"], logDirectory: root)
            try writeFile(root + "/inbox/waiting.json", manifestJSON(session: "w"))
            let status = try await SceneDropProcess.run(["status", "--root", root, "--json"], logDirectory: root)
            #expect(status.status == 0)
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            )
            #expect((report["inbox"] as? [String: Any])?["count"] as? Int == 1)
            #expect((report["outbox"] as? [String: Any])?["count"] as? Int == 1)
            #expect((report["quarantine"] as? [String: Any])?["count"] as? Int == 1)
            #expect((report["work"] as? [String: Any])?["count"] as? Int == 0)
            #expect((report["last_sessions"] as? [[String: Any]])?.first?["session"] as? String == "a")
            let text = try await SceneDropProcess.run(
                ["status"],
                logDirectory: root,
                environment: ["SCENEDROP_ROOT": root]
            )
            #expect(text.stdout.contains("quarantine"))
        }
    }

    @Test(.enabled(if: canMakeFoldersReadOnly, "as root, making the inbox read-only needs a read-only bind mount"))
    func processThatCannotClaimSaysSoAndExitsOne() async throws {
        try await withTemporaryDirectory { root in
            let manifest = manifestJSON(session: "stuck")
            try writeFile(root + "/inbox/stuck.json", manifest)
            let result = try await whileReadOnly(root + "/inbox") {
                try await SceneDropProcess.run(
                    ["process", "--root", root, "--settle", "0s", "--json"],
                    logDirectory: root
                )
            }
            #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            )
            let unclaimed = try #require(summary["unclaimed"] as? [[String: Any]])
            #expect(unclaimed.first?["file"] as? String == "stuck.json")
            #expect((unclaimed.first?["detail"] as? String)?.contains("could not be claimed") == true, "\(unclaimed)")
            #expect(result.stderr.contains("could not be claimed"), "\(result.stderr)")
            // Nothing lost, nothing moved.
            #expect(readText(root + "/inbox/stuck.json") == manifest)
            #expect(try publishedSessions(root + "/outbox").isEmpty)
            #expect(listNames(root + "/quarantine").isEmpty)

            let text = try await whileReadOnly(root + "/inbox") {
                try await SceneDropProcess.run(["process", "--root", root, "--settle", "0s"], logDirectory: root)
            }
            #expect(text.status == 1)
            #expect(text.stdout.contains("not claimed 1"), "\(text.stdout)")
            #expect(text.stdout.contains("not claimed  stuck.json"), "\(text.stdout)")
        }
    }

    @Test func statusOfARootThatDoesNotExistIsAnError() async throws {
        try await withTemporaryDirectory { root in
            let result = try await SceneDropProcess.run(
                ["status", "--root", root + "/no-such-root"],
                logDirectory: root
            )
            #expect(result.status == 1)
            #expect(
                result.stderr.contains("there is no inbox at \(root)/no-such-root/inbox: is --root right?"),
                "\(result.stderr)"
            )
            #expect(result.stdout.isEmpty)
            #expect(!FileSystem.exists(root + "/no-such-root"), "status creates nothing")
            let json = try await SceneDropProcess.run(
                ["status", "--root", root + "/no-such-root", "--json"],
                logDirectory: root
            )
            #expect(json.status == 1)
        }
    }

    @Test func statusListsQuarantinedNamesForRequeue() async throws {
        try await withTemporaryDirectory { root in
            try writeFile(root + "/inbox/broken.json", "{\"scenes\": [}")
            _ = try await SceneDropProcess.run(["process", "--root", root, "--settle", "0s"], logDirectory: root)
            let text = try await SceneDropProcess.run(["status", "--root", root], logDirectory: root)
            #expect(text.status == 0)
            #expect(text.stdout.contains("scenedrop requeue --root \(root) NAME"), "\(text.stdout)")
            #expect(text.stdout.contains("broken.json"))
            #expect(text.stdout.contains("invalid_json"))
            let json = try await SceneDropProcess.run(["status", "--root", root, "--json"], logDirectory: root)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let listed = try #require(report["quarantined"] as? [[String: Any]])
            #expect(listed.map { $0["name"] as? String } == ["broken.json"])
            #expect(listed.first?["reason"] as? String == "invalid_json")
            // The name status shows is the one requeue takes.
            let requeued = try await SceneDropProcess.run(
                ["requeue", "--root", root, "broken.json"],
                logDirectory: root
            )
            #expect(requeued.status == 0, "\(requeued.stderr)")
            #expect(listNames(root + "/inbox") == ["broken.json"])
            let missing = try await SceneDropProcess.run(["requeue", "--root", root], logDirectory: root)
            #expect(missing.status == 64)
            #expect(
                missing.stderr.contains("scenedrop status --root DIR` lists the quarantined names"),
                "\(missing.stderr)"
            )
        }
    }

    /// Every `--help` reads cleanly in an 80-column terminal: nothing runs past the edge, and no line
    /// was broken by hand past 80 columns (the parser would wrap it again and leave a ragged stub).
    @Test func helpFitsEightyColumns() async throws {
        try await withTemporaryDirectory { dir in
            for command in [[], ["watch"], ["process"], ["validate"], ["cleanup"], ["requeue"], ["status"], ["models"]]
            {
                let narrow = try await SceneDropProcess.run(
                    command + ["--help"],
                    logDirectory: dir,
                    environment: ["COLUMNS": "80"]
                )
                #expect(narrow.status == 0)
                for line in narrow.stdout.split(separator: "\n") {
                    #expect(line.count <= 80, "scenedrop \(command.joined()) --help at 80 columns: \(line)")
                }
                // Unwrapped, a line over 80 columns must be a whole paragraph of its own, left to the parser.
                let wide = try await SceneDropProcess.run(
                    command + ["--help"],
                    logDirectory: dir,
                    environment: ["COLUMNS": "1000"]
                )
                let head = wide.stdout.components(separatedBy: "\nOPTIONS:")[0].components(separatedBy: "\nARGUMENTS:")[
                    0
                ]
                for paragraph in head.components(separatedBy: "\n\n") {
                    let lines = paragraph.split(separator: "\n")
                    guard lines.count > 1 else { continue }
                    for line in lines {
                        #expect(
                            line.count <= 80,
                            "scenedrop \(command.joined()) --help: a hand-broken line over 80 columns: \(line)"
                        )
                    }
                }
            }
        }
    }
}

/// Whether `path` is on another filesystem than the temporary folders the tests use.
func onAnotherFilesystem(_ path: String) -> Bool {
    var a = stat()
    var b = stat()
    guard stat(path, &a) == 0, stat(NSTemporaryDirectory(), &b) == 0 else { return false }
    return a.st_dev != b.st_dev
}

/// `--providers` is checked against the registry: a usage error (64) that names what is wrong.
@Suite struct ProvidersOptionTests {
    @Test func unknownProvidersAndLinksAreUsageErrors() async throws {
        try await withTemporaryDirectory { root in
            try FileSystem.makeDirectories(root + "/inbox")
            for (list, hint) in [
                ("gemini,dalle", "unknown provider 'dalle'"),
                ("openai:gemini-3-pro-image", "served by gemini or vertex, not openai"),
                ("openai:gpt-image-9", "'gpt-image-9' is not in the model table"),
                ("acme:gpt-image-1", "served by openai, not acme"),
            ] {
                let result = try await SceneDropProcess.run(
                    ["process", "--root", root, "--providers", list],
                    logDirectory: root
                )
                #expect(result.status == 64, "\(list): \(result.status)")
                #expect(result.stderr.contains(hint), "\(list): \(result.stderr)")
            }
            let models = try await SceneDropProcess.run(["models", "--json"], logDirectory: root)
            let table = try #require(try JSONSerialization.jsonObject(with: Data(models.stdout.utf8)) as? [String: Any])
            let mini = try #require((table["models"] as? [String: Any])?["gpt-image-1-mini"] as? [String: Any])
            #expect((mini["price_per_image"] as? [String: Double])?["high 1536x1024"] == 0.052)
        }
    }
}
