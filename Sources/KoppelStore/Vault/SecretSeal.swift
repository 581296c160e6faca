import Crypto
import Foundation

/// Secrets the server must read back, such as TOTP seeds: sealed with AES-256-GCM under a key derived from the key
/// file (never in PostgreSQL) and bound to their owner, so a copy of the database holds no usable secret and a sealed
/// value moved to another owner does not open. Stored as `sealed:v1:` and base64.
public struct SecretSeal: Sendable {
    static let marker = "sealed:v1:"
    let keys: KeyRing
    let purpose: String

    public init(keys: KeyRing, purpose: String) {
        self.keys = keys
        self.purpose = purpose
    }

    public func seal(_ secret: String, owner: UUID) throws -> String {
        let sealed = try AES.GCM.seal(Data(secret.utf8), using: try keys.derivedKey(purpose: purpose), authenticating: context(owner))
        return Self.marker + sealed.combined!.base64EncodedString()
    }

    /// The secret in a stored value. A value stored before sealing existed is plain text and comes back as it is;
    /// `isSealed` tells the caller to seal it again.
    public func open(_ stored: String, owner: UUID) throws -> String {
        guard Self.isSealed(stored) else { return stored }
        guard let combined = Data(base64Encoded: String(stored.dropFirst(Self.marker.count))) else { throw SecretSealError.unreadable }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            return String(decoding: try AES.GCM.open(box, using: try keys.derivedKey(purpose: purpose), authenticating: context(owner)), as: UTF8.self)
        } catch {
            throw SecretSealError.unreadable
        }
    }

    public static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(marker) }

    private func context(_ owner: UUID) -> Data { Data("koppel.\(purpose)|\(owner.uuidString.lowercased())".utf8) }
}

public enum SecretSealError: Error, Equatable {
    /// Sealed under another key file, or changed: it cannot be opened.
    case unreadable
}
