import AsyncHTTPClient
import CryptoExtras
import FakeGemini
import Foundation
import GoogleGenAI
import ImageGeneration
import SystemSupport
import TestSupport
import Testing

/// Vertex AI with a service-account key, against the fake token endpoint and Vertex API over loopback.
@Suite struct VertexTests {
    static let email = "renderer@proj-1.iam.gserviceaccount.com"
    /// One RSA key for the suite, made on a thread of its own: key generation in a debug build takes seconds
    /// of CPU, which on the cooperative pool would stall every other test's waits.
    static let keyMaking = Task { try await onOwnThread { try _RSA.Signing.PrivateKey(keySize: .bits2048) } }
    static func privateKey() async throws -> _RSA.Signing.PrivateKey { try await keyMaking.value }

    func withVertex<Result>(
        requestsPerToken: Int? = nil,
        signer: _RSA.Signing.PrivateKey? = nil,
        _ body: (VertexEmulator, FakeGeminiServer, ServiceAccountKey) async throws -> Result
    ) async throws -> Result {
        let privateKey = try await Self.privateKey()
        let signer = signer ?? privateKey
        let gemini = GeminiEmulator { _ in GeminiEmulator.image(GeminiProviderTests.jpeg, mimeType: "image/jpeg") }
        let vertex = VertexEmulator(
            publicKey: privateKey.publicKey,
            clientEmail: Self.email,
            requestsPerToken: requestsPerToken,
            gemini: gemini
        )
        return try await withFakeGemini({ vertex.handle($0) }) { server in
            vertex.expect(audience: server.baseURL + "/token")
            let key = try ServiceAccountKey(
                json: Array(VertexEmulator.keyFile(signer, email: Self.email, tokenURI: server.baseURL + "/token").utf8)
            )
            return try await body(vertex, server, key)
        }
    }

    func request(_ model: String = "gemini-3.1-flash-lite-image") -> APIRequest {
        APIRequest(model: model, prompt: "a harbour at dusk", aspectRatio: "16:9", imageSize: "1K")
    }

    @Test func aKeyFileThatCannotBeUsedSaysWhyAndNeverQuotesTheKey() async throws {
        let privateKey = try await Self.privateKey()
        let pem = privateKey.pkcs8PEMRepresentation
        let cases: [(String, String)] = [
            ("[]", "not a JSON object"),
            (#"{"type": "authorized_user"}"#, "\"service_account\" key file is needed"),
            (#"{"type": "service_account", "token_uri": "https://t"}"#, "no \"client_email\""),
            (#"{"client_email": "a@b", "private_key": "x"}"#, "no \"token_uri\""),
            (
                #"{"client_email": "a@b", "token_uri": "https://t", "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}"#,
                "not a PEM RSA key"
            ),
        ]
        for (json, hint) in cases {
            #expect(throws: ServiceAccountKey.Problem.self) { try ServiceAccountKey(json: Array(json.utf8)) }
            do {
                _ = try ServiceAccountKey(json: Array(json.utf8))
            } catch {
                #expect(error.description.contains(hint), "\(json): \(error.description)")
                #expect(!error.description.contains("AAAA"))
            }
        }
        let key = try ServiceAccountKey(
            json: Array(VertexEmulator.keyFile(privateKey, email: Self.email, tokenURI: "https://t").utf8)
        )
        #expect("\(key)" == "service account \(Self.email) (key redacted)")
        #expect(Secrets.scrub("leaked: " + pem).contains("PRIVATE KEY") == false, "the key is registered for scrubbing")
    }

    /// A token is reused until shortly before it expires (on the manual clock), and callers at the same
    /// moment share one exchange.
    @Test func aTokenIsReusedUntilShortlyBeforeItExpires() async throws {
        try await withVertex { vertex, _, key in
            let clock = ManualClock()
            let tokens = VertexTokens(
                key: key,
                http: .shared,
                clock: MonotonicClock(clock),
                wallNow: { Date().timeIntervalSince1970 }
            )
            async let a = tokens.token()
            async let b = tokens.token()
            let (first, second) = await (a, b)
            let token = try first.get()
            #expect(try second.get() == token)
            #expect(await tokens.exchanges == 1 && vertex.issued == 1)
            clock.advance(by: .seconds(3599 - VertexTokens.renewBefore - 1))
            #expect(try await tokens.token().get() == token, "still valid for more than renewBefore")
            clock.advance(by: .seconds(2))
            #expect(try await tokens.token().get() != token, "renewed shortly before it expires")
            #expect(await tokens.exchanges == 2 && vertex.refusedAssertions.isEmpty)
        }
    }

    /// A token that lapses between two requests: the 401 refreshes it once and the request goes again.
    @Test func a401RefreshesTheTokenOnceAndAsksAgain() async throws {
        try await withVertex(requestsPerToken: 1) { vertex, server, key in
            let tokens = VertexTokens(
                key: key,
                http: .shared,
                clock: .continuous,
                wallNow: { Date().timeIntervalSince1970 }
            )
            let client = VertexClient(
                transport: APITransport(http: .shared, baseURL: server.baseURL, baseURLOption: "--vertex-base-url"),
                project: "proj-1",
                location: "us-central1",
                tokens: tokens
            )
            for _ in 1...2 {
                guard case .image = await client.generate(request()) else {
                    Issue.record("no image")
                    return
                }
            }
            #expect(vertex.issued == 2 && vertex.expiredUses == 1)
            #expect(
                vertex.generatePaths.allSatisfy {
                    $0
                        == "/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-3.1-flash-lite-image:generateContent"
                }
            )
            #expect(
                await client.probe(model: "gemini-3-pro-image")
                    == .noImage(.noImage, message: "model gemini-3-pro-image is available")
            )
        }
    }

    /// An assertion signed with another key is refused at the token endpoint: the credential is refused for
    /// the run (a 401 to the retry policy), and no image request is made.
    @Test func aRefusedAssertionIsARefusedCredential() async throws {
        let other = try await onOwnThread { try _RSA.Signing.PrivateKey(keySize: .bits2048) }
        try await withVertex(signer: other) { vertex, server, key in
            let tokens = VertexTokens(
                key: key,
                http: .shared,
                clock: .continuous,
                wallNow: { Date().timeIntervalSince1970 }
            )
            let client = VertexClient(
                transport: APITransport(http: .shared, baseURL: server.baseURL, baseURLOption: "--vertex-base-url"),
                project: "proj-1",
                location: "global",
                tokens: tokens
            )
            guard case .failure(let failure) = await client.generate(request()) else {
                Issue.record("an image without a token")
                return
            }
            #expect(RetryPolicy().decide(failure, attempts: 1, random: 0.5) == .giveUp(.invalidAPIKey, .providerForRun))
            #expect(vertex.refusedAssertions == ["Invalid JWT Signature."])
            #expect(vertex.generatePaths.isEmpty)
        }
    }
}
