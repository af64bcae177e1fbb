import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// One vendor API's HTTP exchanges, the same for every vendor: a total deadline covering the whole
/// body (image APIs send nothing until the image is ready), a bounded body, redirects refused (the
/// credentials would go with them), secrets scrubbed from every body that is not an image, and
/// every thrown error turned into a failure kind the retry policy judges.
package struct APITransport: Sendable {
    package let http: HTTPClient
    /// Without a trailing slash.
    package let baseURL: String
    /// The option that sets the base URL, for messages (`--gemini-base-url`).
    package let baseURLOption: String
    /// The request deadline's clock.
    package let clock: MonotonicClock
    /// The deadline of an image request the model table gives none for (`--request-timeout`).
    package let timeout: Duration
    /// An image answer's largest body: a 4K image is several MB of base64; anything far larger is not one.
    package let maxBodyBytes: Int

    package init(
        http: HTTPClient,
        baseURL: String,
        baseURLOption: String,
        timeout: Duration = .seconds(60),
        maxBodyBytes: Int = 48 << 20,
        clock: MonotonicClock = .continuous
    ) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.http = http
        self.baseURL = base
        self.baseURLOption = baseURLOption
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.clock = clock
    }

    /// One image request: within `deadline` (the transport's `timeout` when nil), its body bounded by
    /// `maxBodyBytes`; a thrown error comes back as the failure the retry policy judges.
    package func image(
        _ request: HTTPClientRequest,
        deadline: Duration?
    ) async -> Result<(status: Int, headers: HTTPHeaders, body: [UInt8]), RetryPolicy.Failure> {
        do {
            return .success(try await exchange(request, timeout: deadline ?? timeout, limit: maxBodyBytes))
        } catch {
            return .failure(failure(for: error, limit: maxBodyBytes))
        }
    }

    package struct DeadlineExceeded: Error {}

    /// A 3xx answer. Redirects are never followed: the request carries the key in a header, and a base URL
    /// (or a proxy in front of it) that answers 307 to another origin would get the key sent there.
    package struct RedirectRefused: Error {
        var status: Int
        var location: String?
    }

    /// Runs `body` with the HTTP client the provider should use, and shuts it down when `body` returns
    /// or throws (its lifetime is the scope, never a shutdown by hand). AsyncHTTPClient would otherwise
    /// keep retrying a refused connection until the request's deadline (60 s): SceneDrop's retry policy
    /// already retries connection errors with backoff, so a failed connection is reported at once.
    /// - Parameter connections: HTTP/1.1 connections per host, at least the daemon's `--concurrency`:
    ///   AsyncHTTPClient's default of 8 would quietly cap parallel requests to a plain-HTTP endpoint
    ///   (HTTP/2, which the real API speaks over TLS, multiplexes and is not affected).
    package static func withHTTPClient<Result>(
        connectTimeout: Duration = .seconds(10),
        connections: Int = 8,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (HTTPClient) async throws -> Result
    ) async throws -> Result {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, connections)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(Int64(connectTimeout.components.seconds))
        // Never follow a redirect: the key would go with it to wherever it points (see `RedirectRefused`).
        configuration.redirectConfiguration = .disallow
        return try await HTTPClient.withHTTPClient(configuration: configuration, body)
    }

    /// Sends `request` and reads its whole body, both within `timeout` (AsyncHTTPClient's own deadline
    /// stops at the head); a body over `limit` bytes is refused, and a 3xx throws `RedirectRefused`.
    ///
    /// Every body that is not an image answer is scrubbed of the process's secrets before anyone reads it: a
    /// server may quote the key back in an error, and a message cut to length could otherwise keep half of it.
    package func exchange(
        _ request: HTTPClientRequest,
        timeout: Duration,
        limit: Int
    ) async throws -> (status: Int, headers: HTTPHeaders, body: [UInt8]) {
        let (status, headers, body) = try await Self.within(timeout, clock: clock) { [http] in
            let nanoseconds =
                Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            let response = try await http.execute(request, timeout: .nanoseconds(nanoseconds))
            let status = Int(response.status.code)
            if (300..<400).contains(status) {
                return (status, response.headers, [UInt8]())
            }
            let buffer = try await response.body.collect(upTo: limit)
            return (status, response.headers, Array(buffer.readableBytesView))
        }
        if (300..<400).contains(status) {
            throw RedirectRefused(status: status, location: headers.first(name: "location"))
        }
        return (status, headers, status == 200 && body.count > Self.scrubBelowBytes ? body : Secrets.scrub(body))
    }

    /// Image answers are megabytes of base64, and their text parts are dropped: only smaller bodies are scrubbed.
    static let scrubBelowBytes = 1 << 20

    /// What a thrown error means to the retry policy; the key is scrubbed from any message.
    package func failure(for error: any Error, limit: Int) -> RetryPolicy.Failure {
        // Checked first: a cancelled request can surface as any of the errors below (a closed
        // connection, a deadline that fired while the task was being torn down).
        if Task.isCancelled || error is CancellationError { return .cancelled }
        switch error {
        case let error as HTTPClientError where error == .cancelled:
            return .cancelled
        case is DeadlineExceeded:
            return .timeout
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            return .timeout
        case let redirect as RedirectRefused:
            // A server error, never followed: where it pointed is said (scrubbed: a Location can quote anything).
            let target = redirect.location.map { "to \(Secrets.scrub(String($0.prefix(300)))) " } ?? ""
            return .http(
                status: redirect.status,
                message:
                    "\(redirect.status): the API answered with a redirect \(target)which SceneDrop does not follow (the key would go with it); check \(baseURLOption)"
            )
        case is NIOTooManyBytesError:
            return .invalidResponse("the response body is larger than \(limit) bytes")
        case let error as NIOConnectionError:
            // A host name: resolved, then every address tried (happy eyeballs).
            let lookup = error.dnsAError ?? error.dnsAAAAError
            let connect = error.connectionErrors.first.map { Self.reason($0.error) }
            return .unreachable(
                Self.unreachableMessage(
                    host: error.host,
                    port: error.port,
                    dnsError: lookup.map { String(describing: $0) },
                    connectError: connect
                )
            )
        case let error as IOError where Self.connectErrnos.contains(error.errnoCode):
            // An address literal: no lookup, the connect itself failed.
            return .unreachable(
                Self.unreachableMessage(host: endpoint, port: nil, dnsError: nil, connectError: Self.reason(error))
            )
        case let error as HTTPClientError where error == .connectTimeout:
            return .unreachable(
                Self.unreachableMessage(
                    host: endpoint,
                    port: nil,
                    dnsError: nil,
                    connectError: "no answer within the connect timeout"
                )
            )
        default:
            return .connection(Secrets.scrub(String(describing: error)))
        }
    }

    /// errno values a connect(2) fails with when the endpoint cannot be reached.
    static let connectErrnos: Set<Int32> = [
        ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, ETIMEDOUT, EADDRNOTAVAIL, ENETDOWN,
    ]

    /// `host:port` of the base URL, for messages.
    package var endpoint: String {
        let rest = baseURL.split(separator: "/", omittingEmptySubsequences: true)
        // ["http:", "host:port", ...] or ["host:port", ...] without a scheme.
        return String((rest.first?.hasSuffix(":") == true ? rest.dropFirst().first : rest.first) ?? Substring(baseURL))
    }

    /// What a log line and a scene's `fallback.tried[].error` say: the cause in words.
    package static func unreachableMessage(host: String, port: Int?, dnsError: String?, connectError: String?) -> String
    {
        let target = port.map { "\(host):\($0)" } ?? host
        if let dnsError { return "cannot resolve \(host) (DNS lookup failed: \(dnsError))" }
        return "cannot connect to \(target): \(connectError ?? "no address could be reached")"
    }

    package static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        return String(describing: error)
    }

    /// Runs `operation` with a total deadline: the first of the two to finish wins, the other is cancelled.
    package static func within<T: Sendable>(
        _ limit: Duration,
        clock: MonotonicClock,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await clock.sleep(for: limit.seconds)
                throw DeadlineExceeded()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}
