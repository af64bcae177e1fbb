import AsyncHTTPClient
import Foundation
import ImageGeneration
import NIOCore
import NIOHTTP1
import SystemSupport

/// OAuth access tokens for Vertex AI from a service-account key (contract §11): a signed JWT exchanged at
/// the key's `token_uri` (the JWT bearer grant), reused until shortly before it expires, refreshed once
/// when the API refuses it. Concurrent requests share one exchange. Tokens are registered with `Secrets`
/// and never logged.
package actor VertexTokens {
    package static let scope = "https://www.googleapis.com/auth/cloud-platform"
    /// A token is replaced this long before it expires, so no request goes out with one about to lapse.
    package static let renewBefore = 120.0

    let key: ServiceAccountKey
    let transport: APITransport
    let clock: MonotonicClock
    /// Wall time for the JWT's `iat` and `exp`.
    let wallNow: @Sendable () -> Double
    private var current: (token: String, expires: Double)?
    private var exchange: Task<Result<(token: String, expires: Double), TokenFailure>, Never>?
    /// Exchanges made (for tests and `scenedrop status`).
    package private(set) var exchanges = 0

    package init(
        key: ServiceAccountKey,
        http: HTTPClient,
        clock: MonotonicClock,
        wallNow: @escaping @Sendable () -> Double
    ) {
        self.key = key
        self.transport = APITransport(
            http: http,
            baseURL: key.tokenURI,
            baseURLOption: "the key file's token_uri",
            clock: clock
        )
        self.clock = clock
        self.wallNow = wallNow
    }

    /// Why no token could be had, as the retry policy sees it.
    package struct TokenFailure: Error, Sendable {
        package var failure: RetryPolicy.Failure
    }

    /// A token valid for at least `renewBefore` more seconds.
    package func token() async -> Result<String, TokenFailure> {
        if let current, current.expires - clock.now() > Self.renewBefore { return .success(current.token) }
        if exchange == nil {
            exchange = Task { await self.exchangeOnce() }
        }
        let result = await exchange!.value
        exchange = nil
        switch result {
        case .success(let fresh):
            current = fresh
            return .success(fresh.token)
        case .failure(let failure):
            return .failure(failure)
        }
    }

    /// The API refused `token`: it is not used again (a newer one may already have replaced it).
    package func refused(_ token: String) {
        if current?.token == token { current = nil }
    }

    private func exchangeOnce() async -> Result<(token: String, expires: Double), TokenFailure> {
        exchanges += 1
        let assertion: String
        do {
            assertion = try key.assertion(scope: Self.scope, issuedAt: wallNow())
        } catch {
            return .failure(
                TokenFailure(failure: .http(status: 401, message: "the service-account key could not sign a JWT"))
            )
        }
        var request = HTTPClientRequest(url: key.tokenURI)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        let form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + assertion
        request.body = .bytes(ByteBuffer(string: form))
        let started = clock.now()
        do {
            let (status, _, body) = try await transport.exchange(request, timeout: .seconds(30), limit: 1 << 20)
            let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
            guard status == 200, let token = object?["access_token"] as? String, !token.isEmpty else {
                let error = object?["error"] as? String ?? "HTTP \(status)"
                let detail = (object?["error_description"] as? String).map { ": \($0)" } ?? ""
                // A refused assertion (invalid_grant, a disabled account) is a refused credential: final for the run.
                return .failure(
                    TokenFailure(
                        failure: .http(
                            status: status >= 500 ? status : 401,
                            message:
                                "the token endpoint refused the service account \(key.clientEmail): \(error)\(detail)"
                        )
                    )
                )
            }
            Secrets.register(token)
            let lifetime =
                (object?["expires_in"] as? Double) ?? (object?["expires_in"] as? Int).map(Double.init) ?? 3600
            return .success((token, started + max(0, min(lifetime, 86_400))))
        } catch {
            return .failure(TokenFailure(failure: transport.failure(for: error, limit: 1 << 20)))
        }
    }
}
