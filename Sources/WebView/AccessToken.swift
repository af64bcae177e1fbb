import Foundation
import SystemSupport

/// The secret every request must carry when the web view listens beyond loopback: from
/// `--http-token-file`, sent as `Authorization: Bearer …`, `X-SceneDrop-Token: …`, or the cookie
/// that opening `/?token=…` once sets.
package struct AccessToken: Sendable {
    package let value: String
    static let cookieName = "scenedrop_token"
    /// Shorter secrets are refused: a guessable token is no protection on a shared network.
    package static let minimumLength = 16

    package struct LoadError: Error, Sendable, CustomStringConvertible {
        package enum Code: String, Sendable {
            case unreadable
            case tooShort = "too_short"
            case invalidCharacters = "invalid_characters"
        }
        package var code: Code
        package var description: String
    }

    package init(_ value: String) {
        self.value = value
        Secrets.register(value)
    }

    /// The token file's first line, without surrounding whitespace.
    package static func load(file: String) throws(LoadError) -> AccessToken {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readRegularFile(file, limit: 4096)
        } catch {
            throw LoadError(
                code: .unreadable,
                description:
                    "--http-token-file \(file): cannot be read (\(error)); write a secret of at least \(minimumLength) characters into it"
            )
        }
        let line =
            String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let token = line.trimmingCharacters(in: .whitespaces)
        guard token.count >= minimumLength else {
            throw LoadError(
                code: .tooShort,
                description:
                    "--http-token-file \(file): the token has \(token.count) characters; use at least \(minimumLength), e.g. `openssl rand -hex 24 > \(file)`"
            )
        }
        // A cookie value and a URL query both carry it: keep to characters that need no quoting.
        guard
            token.unicodeScalars.allSatisfy({
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.~+/=".unicodeScalars.contains($0))
            })
        else {
            throw LoadError(
                code: .invalidCharacters,
                description:
                    "--http-token-file \(file): use letters, digits and - _ . ~ + / = only (e.g. `openssl rand -hex 24`)"
            )
        }
        return AccessToken(token)
    }

    /// Compares in time independent of where the first difference is.
    package func matches(_ candidate: some StringProtocol) -> Bool {
        let (a, b) = (Array(value.utf8), Array(candidate.utf8))
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<a.count { difference |= a[index] ^ (index < b.count ? b[index] : 0) }
        return difference == 0
    }
}
