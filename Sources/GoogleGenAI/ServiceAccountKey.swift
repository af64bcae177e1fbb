import CryptoExtras
import Foundation
import SystemSupport

/// A Google service-account key file (`GOOGLE_APPLICATION_CREDENTIALS`): who signs (`client_email`), with
/// what (`private_key`), and where tokens come from (`token_uri`). The private key never prints: every
/// description is redacted, and the PEM text is registered with `Secrets` so no text leaving the process
/// can carry it.
package struct ServiceAccountKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    package let clientEmail: String
    package let tokenURI: String
    package let keyID: String?
    package let projectID: String?
    let privateKey: _RSA.Signing.PrivateKey

    /// Why a key file cannot be used: what, and how to fix it. Never quotes the key.
    package struct Problem: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    package init(json bytes: [UInt8]) throws(Problem) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw Problem(description: "is not a JSON object; download the service account's key as JSON")
        }
        if let type = object["type"] as? String, type != "service_account" {
            throw Problem(description: "is a \"\(type)\" credential; a \"service_account\" key file is needed")
        }
        guard let email = object["client_email"] as? String, !email.isEmpty else {
            throw Problem(description: "has no \"client_email\"")
        }
        guard let uri = object["token_uri"] as? String, uri.hasPrefix("https://") || uri.hasPrefix("http://") else {
            throw Problem(description: "has no \"token_uri\" (an http(s) URL)")
        }
        guard let pem = object["private_key"] as? String, !pem.isEmpty else {
            throw Problem(description: "has no \"private_key\"")
        }
        Secrets.register(pem)
        do {
            privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw Problem(description: "has a \"private_key\" that is not a PEM RSA key of at least 2048 bits")
        }
        clientEmail = email
        tokenURI = uri
        keyID = object["private_key_id"] as? String
        projectID = object["project_id"] as? String
    }

    package var description: String { "service account \(clientEmail) (key redacted)" }
    package var debugDescription: String { description }

    /// An RS256 JWT asserting this account for `scope`, for `tokenURI`, valid for `lifetime` (at most an hour).
    package func assertion(scope: String, issuedAt: Double, lifetime: Double = 3600) throws -> String {
        var header: [String: Any] = ["alg": "RS256", "typ": "JWT"]
        header["kid"] = keyID
        let iat = Int(saturating: issuedAt)
        let claims: [String: Any] = [
            "iss": clientEmail, "scope": scope, "aud": tokenURI, "iat": iat,
            "exp": iat + Int(saturating: min(lifetime, 3600)),
        ]
        let signingInput =
            Self.base64URL(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) + "."
            + Self.base64URL(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let signature = try privateKey.signature(
            for: SHA256.hash(data: Data(signingInput.utf8)),
            padding: .insecurePKCS1v1_5
        )
        return signingInput + "." + Self.base64URL(signature.rawRepresentation)
    }

    package static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
