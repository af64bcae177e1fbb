import HTTPTypes
import Hummingbird

/// Every answer gets the page's security headers; a loopback bind answers only loopback `Host` names and
/// no request changes state from another origin (`OriginPolicy`); with a token, every request but the health
/// checks must carry it (header or cookie), and `/?token=…` trades it for the cookie once.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: AccessToken?
    let origins: OriginPolicy
    /// Probes need no secret, and tell nothing but up or ready.
    static var openPaths: Set<String> { ["/healthz", "/readyz"] }
    static var tokenHeader: HTTPField.Name { HTTPField.Name("X-SceneDrop-Token")! }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await answer(request, context: context, next: next)
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }

    private func answer(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        switch origins.verdict(
            method: request.method.rawValue,
            host: request.head.authority,
            origin: request.headers[.origin]
        ) {
        case .allow:
            break
        case .wrongHost:
            return Self.plain(
                .misdirectedRequest,
                "This SceneDrop web view answers only to localhost or a loopback address, not to this host name.\n"
            )
        case .foreignOrigin:
            return Self.plain(
                .forbidden,
                "Refused: this request comes from another site (its Origin is not this web view).\n"
            )
        }
        guard let token, !Self.openPaths.contains(request.uri.path) else { return try await next(request, context) }
        if request.uri.path == "/", let offered = request.uri.queryParameters["token"] {
            guard token.matches(offered) else { return Self.unauthorized() }
            // Trade the URL's token for a cookie, and drop it from the address bar (and from history).
            var response = Response(status: .seeOther, headers: [.location: "/"])
            response.setCookie(
                Cookie(
                    name: AccessToken.cookieName,
                    value: token.value,
                    maxAge: 30 * 86_400,
                    path: "/",
                    httpOnly: true,
                    sameSite: .strict
                )
            )
            return response
        }
        guard Self.offered(in: request).contains(where: token.matches) else { return Self.unauthorized() }
        return try await next(request, context)
    }

    static func offered(in request: Request) -> [String] {
        var candidates: [String] = []
        if let bearer = request.headers[.authorization], bearer.lowercased().hasPrefix("bearer ") {
            candidates.append(String(bearer.dropFirst(7)))
        }
        if let header = request.headers[tokenHeader] { candidates.append(header) }
        if let cookie = request.cookies[AccessToken.cookieName] { candidates.append(cookie.value) }
        return candidates
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: .init(string: text))
        )
    }

    static func unauthorized() -> Response {
        Response(
            status: .unauthorized,
            headers: [.wwwAuthenticate: "Bearer realm=\"scenedrop\"", .contentType: "text/plain; charset=utf-8"],
            body: .init(
                byteBuffer: .init(
                    string:
                        "This SceneDrop web view needs its token: open the URL `scenedrop status --http` prints, or send Authorization: Bearer <token>.\n"
                )
            )
        )
    }
}
