import Crypto

/// Content hashes for image metadata (`image.sha256`) and cache keys, from swift-crypto (BoringSSL's
/// SHA-256 on Linux).
public enum Digest {
    /// SHA-256 of `bytes` as 64 lowercase hex digits.
    public static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        var hasher = Crypto.SHA256()
        hasher.update(data: Array(bytes))
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
    }
}
