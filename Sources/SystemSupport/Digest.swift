import Crypto

/// Content hashes for image metadata (`image.sha256`) and cache keys, from swift-crypto (BoringSSL's
/// SHA-256 on Linux).
package enum Digest {
    /// Beside a file whose bytes must be checked later: `<file>.sha256`, its hex SHA-256 (the image cache's
    /// entries; cleanup removes the two together).
    package static let sidecarSuffix = ".sha256"

    /// SHA-256 of `bytes` as 64 lowercase hex digits.
    /// Takes the array itself: an image is megabytes, and hashing must not copy it first.
    package static func sha256Hex(_ bytes: [UInt8]) -> String {
        Crypto.SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
    }
}
