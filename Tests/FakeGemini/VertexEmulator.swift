import CryptoExtras
import Foundation
import Synchronization

/// Vertex AI as the documented one answers, for a `FakeGeminiServer`: the OAuth token endpoint of the JWT
/// bearer grant, which verifies the assertion as Google's does (RS256 with the public half of the test's
/// key, issuer, audience, scope, expiry), and `generateContent` on the Vertex path with `Authorization:
/// Bearer`, answered by a `GeminiEmulator` (same bodies as the Developer API). Tokens expire server-side
/// after `requestsPerToken` requests, as a token that lapses mid-run does.
package final class VertexEmulator: Sendable {
    package let gemini: GeminiEmulator
    let publicKey: _RSA.Signing.PublicKey
    let clientEmail: String
    let requestsPerToken: Int?
    /// The `aud` every assertion must carry: the key file's `token_uri` (set once the server's port is known).
    private let audience = Mutex<String?>(nil)
    private let state = Mutex<State>(State())

    struct State {
        var tokens: [String: Int] = [:]
        var issued = 0
        var refusedAssertions: [String] = []
        var expiredUses = 0
        var paths: [String] = []
    }

    package init(
        publicKey: _RSA.Signing.PublicKey,
        clientEmail: String,
        requestsPerToken: Int? = nil,
        gemini: GeminiEmulator
    ) {
        self.publicKey = publicKey
        self.clientEmail = clientEmail
        self.requestsPerToken = requestsPerToken
        self.gemini = gemini
    }

    package func expect(audience: String) { self.audience.withLock { $0 = audience } }
    /// Tokens issued.
    package var issued: Int { state.withLock { $0.issued } }
    /// Assertions refused, with why.
    package var refusedAssertions: [String] { state.withLock { $0.refusedAssertions } }
    /// Requests that came with a token past its uses (answered 401).
    package var expiredUses: Int { state.withLock { $0.expiredUses } }
    /// Paths of the image requests.
    package var generatePaths: [String] { state.withLock { $0.paths } }
    package var tokens: [String] { state.withLock { Array($0.tokens.keys) } }

    package func handle(_ request: RecordedRequest) -> FakeResponse {
        if request.method == "POST", request.path == "/token" { return token(request) }
        let prefix = "/v1/projects/"
        if request.method == "GET", request.path.hasPrefix("/v1/publishers/google/models/") {
            if let refusal = authorize(request) { return refusal }
            let model = String(request.path.dropFirst("/v1/publishers/google/models/".count))
            return GeminiEmulator.standardModels[model] != nil
                ? FakeResponse(status: 200, body: Self.json(["name": "publishers/google/models/\(model)"]))
                : GeminiEmulator.error(404, "NOT_FOUND", "Publisher Model `\(model)` not found.")
        }
        guard request.method == "POST", request.path.hasPrefix(prefix), request.path.hasSuffix(":generateContent"),
            let range = request.path.range(of: "/publishers/google/models/")
        else {
            return GeminiEmulator.error(404, "NOT_FOUND", "no such path: \(request.path)")
        }
        if let refusal = authorize(request) { return refusal }
        state.withLock { $0.paths.append(request.path) }
        let model = request.path[range.upperBound...].dropLast(":generateContent".count)
        var forwarded = request
        forwarded.path = "/v1beta/models/\(model):generateContent"
        forwarded.headers["x-goog-api-key"] = GeminiEmulator.validKey
        return gemini.handle(forwarded)
    }

    /// A 401 as Vertex sends it for a missing, unknown or expired token; nil when the token is good.
    func authorize(_ request: RecordedRequest) -> FakeResponse? {
        let header = request.header("authorization") ?? ""
        guard header.hasPrefix("Bearer ") else { return Self.unauthenticated() }
        let token = String(header.dropFirst("Bearer ".count))
        let verdict = state.withLock { state -> Bool? in
            guard let uses = state.tokens[token] else { return nil }
            if let limit = requestsPerToken, uses >= limit {
                state.expiredUses += 1
                return false
            }
            state.tokens[token] = uses + 1
            return true
        }
        return verdict == true ? nil : Self.unauthenticated()
    }

    static func unauthenticated() -> FakeResponse {
        GeminiEmulator.error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."
        )
    }

    /// The JWT bearer grant: checks the form and every part of the assertion, then issues a token.
    func token(_ request: RecordedRequest) -> FakeResponse {
        let form = Dictionary(
            String(decoding: request.body, as: UTF8.self).split(separator: "&").compactMap {
                pair -> (String, String)? in
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { return nil }
                return (parts[0], parts[1].removingPercentEncoding ?? parts[1])
            },
            uniquingKeysWith: { first, _ in first }
        )
        func refuse(_ why: String) -> FakeResponse {
            state.withLock { $0.refusedAssertions.append(why) }
            return FakeResponse(status: 400, body: Self.json(["error": "invalid_grant", "error_description": why]))
        }
        guard request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true else {
            return refuse("not a form")
        }
        guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer", let jwt = form["assertion"] else {
            return refuse("Invalid grant_type or no assertion")
        }
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let headerData = Self.base64URL(parts[0]), let claimsData = Self.base64URL(parts[1]),
            let signature = Self.base64URL(parts[2]),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
            let claims = try? JSONSerialization.jsonObject(with: claimsData) as? [String: Any]
        else {
            return refuse("Invalid JWT: not three base64url parts of JSON")
        }
        guard header["alg"] as? String == "RS256" else { return refuse("Invalid JWT: alg is not RS256") }
        let digest = SHA256.hash(data: Data((parts[0] + "." + parts[1]).utf8))
        guard
            publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature),
                for: digest,
                padding: .insecurePKCS1v1_5
            )
        else {
            return refuse("Invalid JWT Signature.")
        }
        let now = Int(Date().timeIntervalSince1970)
        guard claims["iss"] as? String == clientEmail else { return refuse("Invalid JWT: iss") }
        guard let aud = claims["aud"] as? String, aud == audience.withLock({ $0 }) else {
            return refuse("Invalid JWT: aud")
        }
        guard
            (claims["scope"] as? String)?.split(separator: " ").contains(
                "https://www.googleapis.com/auth/cloud-platform"
            ) == true
        else {
            return refuse("Invalid JWT: scope")
        }
        guard let iat = claims["iat"] as? Int, let exp = claims["exp"] as? Int, exp > now, iat <= now + 60,
            exp - iat <= 3600
        else {
            return refuse("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
        }
        let token = state.withLock { state -> String in
            state.issued += 1
            let token = "ya29.fake-token-\(state.issued)-\(UInt32.random(in: 0...UInt32.max))"
            state.tokens[token] = 0
            return token
        }
        return FakeResponse(
            status: 200,
            body: Self.json(["access_token": token, "expires_in": 3599, "token_type": "Bearer"])
        )
    }

    static func base64URL(_ text: String) -> Data? {
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        return Data(base64Encoded: base)
    }

    static func json(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }

    /// A service-account key file for `key`, its tokens from `tokenURI`.
    package static func keyFile(_ key: _RSA.Signing.PrivateKey, email: String, tokenURI: String) -> String {
        let object: [String: Any] = [
            "type": "service_account", "project_id": "proj-1", "private_key_id": "kid-1",
            "private_key": key.pkcs8PEMRepresentation, "client_email": email, "client_id": "1",
            "token_uri": tokenURI,
        ]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
    }
}
