import Crypto
import Foundation
import NIOCore

/// A random secret handed to a client once (session cookie, API token, recovery code). Only its SHA-256
/// is stored, so a copy of the database opens nothing.
public struct SecretToken: Sendable, Hashable {
    public let value: String
    /// What the database keeps, worked out once: a request's token is looked up by it and counted against its rate by it.
    public let hash: ByteBuffer

    public init(value: String) {
        self.value = value
        hash = ByteBuffer(bytes: SHA256.hash(data: Data(value.utf8)))
    }

    /// 32 random bytes, URL-safe base64: 256 bits.
    public static func generate(prefix: String = "") -> SecretToken {
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return SecretToken(value: prefix + encoded)
    }
}

/// Human-typeable one-time secrets: initial passwords and recovery codes, from an alphabet without look-alikes.
public enum ReadableSecret {
    static let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")

    /// `groups` groups of four characters joined by dashes, e.g. `k7pm-2xq9-…`.
    public static func generate(groups: Int) -> String {
        (0..<groups).map { _ in String((0..<4).map { _ in alphabet.randomElement()! }) }.joined(separator: "-")
    }
}
