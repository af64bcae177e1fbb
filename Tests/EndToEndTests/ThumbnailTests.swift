import Foundation
import Imaging
import SystemSupport
import TestSupport
import Testing

/// Issue 9, part 3: a preview per scene, made with libvips at publish time, in the session's hidden
/// `.thumbs/` folder and listed in session.json.
@Suite struct ThumbnailTests {
    @Test func everySceneHasADecodableJPEGPreviewOfTheStatedSize() async throws {
        try await withTemporaryDirectory { root in
            try writeFile(root + "/inbox/wide.json", manifestJSON(session: "wide", scenes: 3, width: 1280, height: 720))
            try writeFile(
                root + "/inbox/small.json",
                manifestJSON(session: "small", scenes: 1, width: 200, height: 112)
            )
            let run = try await SceneDropProcess.run(["process", "--root", root, "--settle", "0s"], logDirectory: root)
            #expect(run.status == 0, "\(run.stderr.suffix(2000))")
            let sessions = try publishedSessions(root + "/outbox")
            #expect(sessions.map(\.name).sorted() == ["small", "wide"])
            for session in sessions {
                for scene in session.sceneEntries {
                    let thumbnail = try #require(
                        scene["thumbnail"] as? [String: Any],
                        "scene without a thumbnail in \(session.name)"
                    )
                    let file = try #require(thumbnail["file"] as? String)
                    #expect(file.hasPrefix(".thumbs/") && file.hasSuffix(".jpg"))
                    let (width, height) = (
                        try #require(thumbnail["width"] as? Int), try #require(thumbnail["height"] as? Int)
                    )
                    let bytes = try #require(readFile(session.path + "/" + file))
                    // A full decode by libvips, at exactly the stated size.
                    let info = try ImageInspector.check(bytes, width: width, height: height)
                    #expect(info.format == .jpeg)
                    if session.name == "wide" {
                        #expect((width, height) == (320, 180))
                    } else {
                        #expect((width, height) == (200, 112), "an image narrower than 320 px is not enlarged")
                    }
                }
            }
            // Hidden from listings, and nothing of it left in staging.
            #expect(!listNames(root + "/outbox/wide").contains(".thumbs"))
            #expect(
                listNames(root + "/outbox/wide/.thumbs", hidden: true) == [
                    "scene-001.jpg", "scene-002.jpg", "scene-003.jpg",
                ]
            )
            #expect(listNames(root + "/outbox/.staging", hidden: true).isEmpty)
        }
    }
}
