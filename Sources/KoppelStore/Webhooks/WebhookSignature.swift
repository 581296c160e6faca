import Crypto
import Foundation

/// Standard Webhooks 1.0 signing: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the secret's key (the
/// bytes after `whsec_`). Pure, so the spec's own test vector checks it.
public enum WebhookSignature {
    public static let secretPrefix = "whsec_"

    /// A new secret: `whsec_` and the base64 of 32 random bytes.
    public static func newSecret() -> String {
        secretPrefix + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }

    /// The key of a secret; nil when it is not one.
    public static func key(of secret: String) -> SymmetricKey? {
        guard secret.hasPrefix(secretPrefix), let bytes = Data(base64Encoded: String(secret.dropFirst(secretPrefix.count))), !bytes.isEmpty
        else { return nil }
        return SymmetricKey(data: bytes)
    }

    public static func sign(id: String, timestamp: Int64, body: Data, key: SymmetricKey) -> String {
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(body)
        return "v1," + Data(HMAC<SHA256>.authenticationCode(for: content, using: key)).base64EncodedString()
    }
}
