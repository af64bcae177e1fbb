import CryptoExtras
import FakeGemini
import Foundation
import SystemSupport
import TestSupport
import Testing

/// Vertex AI through the built binary (contract §11): a service-account key, a token endpoint that checks
/// the JWT as Google's does, a token that lapses mid-run, and no secret anywhere it could be read.
@Suite struct VertexEndToEndTests {
    static let email = "renderer@proj-1.iam.gserviceaccount.com"

    @Test func aSessionFromVertexWithATokenRefreshedMidRun() async throws {
        // On a thread of its own: seconds of CPU in a debug build, which would stall the cooperative pool.
        let privateKey = try await onOwnThread { try _RSA.Signing.PrivateKey(keySize: .bits2048) }
        let gemini = GeminiEmulator { _ in GeminiEmulator.image(GeminiEndToEndTests.jpeg, mimeType: "image/jpeg") }
        // Each token works for two requests, then the API answers 401 as for an expired token.
        let vertex = VertexEmulator(
            publicKey: privateKey.publicKey,
            clientEmail: Self.email,
            requestsPerToken: 2,
            gemini: gemini
        )
        try await withFakeGemini({ vertex.handle($0) }) { server in
            vertex.expect(audience: server.baseURL + "/token")
            try await withTemporaryDirectory { dir in
                let keyFile = dir + "/key.json"
                try writeFile(
                    keyFile,
                    VertexEmulator.keyFile(privateKey, email: Self.email, tokenURI: server.baseURL + "/token")
                )
                let root = dir + "/root"
                try FileSystem.makeDirectories(root + "/inbox")
                try writeFile(root + "/inbox/vx.json", manifestJSON(session: "vx", scenes: 5, width: 1280, height: 720))
                let result = try await SceneDropProcess.run(
                    [
                        "process", "--root", root, "--settle", "0s", "--providers", "vertex", "--vertex-project",
                        "proj-1",
                        "--vertex-location", "us-central1", "--vertex-base-url", server.baseURL, "--concurrency", "1",
                        "--log-level", "debug", "--log-format", "json",
                    ],
                    logDirectory: dir,
                    environment: ["GOOGLE_APPLICATION_CREDENTIALS": keyFile]
                )
                #expect(result.status == 0, "\(result.stderr)")
                for scene in 1...5 {
                    let meta = try #require(jsonObject(root + "/outbox/vx/" + String(format: "scene-%03d.json", scene)))
                    #expect(meta["provider"] as? String == "vertex", "scene \(scene)")
                    #expect(meta["model"] as? String == "gemini-3.1-flash-lite-image")
                    #expect(meta["fallback"] is NSNull, "scene \(scene): \(meta["fallback"] ?? "")")
                }
                #expect(vertex.refusedAssertions.isEmpty, "\(vertex.refusedAssertions)")
                #expect(vertex.expiredUses >= 1, "a token lapsed mid-run")
                #expect(vertex.issued >= 3, "and was replaced each time: \(vertex.issued)")
                #expect(gemini.calls(to: "gemini-3.1-flash-lite-image") == 5)
                // Neither the private key nor any token is in the output, a file under the root, or the ledger.
                let pemBody =
                    privateKey.pkcs8PEMRepresentation.split(separator: "\n").dropFirst().first.map(String.init) ?? "?"
                for secret in [pemBody] + vertex.tokens {
                    #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret), "output shows a secret")
                    #expect(files(containing: secret, under: root).isEmpty, "a file under the root has a secret")
                }
            }
        }
    }

    @Test func vertexWithoutAProjectOrAKeyIsAUsageError() async throws {
        try await withTemporaryDirectory { dir in
            try FileSystem.makeDirectories(dir + "/root/inbox")
            let noProject = try await SceneDropProcess.run(
                ["process", "--root", dir + "/root", "--providers", "vertex"],
                logDirectory: dir,
                environment: ["GOOGLE_APPLICATION_CREDENTIALS": dir + "/none.json"]
            )
            #expect(noProject.status == 64 && noProject.stderr.contains("--vertex-project"), "\(noProject.stderr)")
            try writeFile(
                dir + "/bad.json",
                #"{"type": "service_account", "client_email": "a@b", "token_uri": "https://t", "private_key": "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXRleHQ=\n-----END PRIVATE KEY-----"}"#
            )
            let badKey = try await SceneDropProcess.run(
                ["process", "--root", dir + "/root", "--providers", "vertex", "--vertex-project", "p"],
                logDirectory: dir,
                environment: ["GOOGLE_APPLICATION_CREDENTIALS": dir + "/bad.json"]
            )
            #expect(badKey.status == 64 && badKey.stderr.contains("not a PEM RSA key"), "\(badKey.stderr)")
            #expect(!badKey.stderr.contains("c2VjcmV0LXRleHQ="), "the key is never quoted")
        }
    }
}
