import Crypto
import Foundation
import KoppelCore

/// Envelope encryption: each client has a random data key; each value is sealed with AES-256-GCM under it,
/// with the client id and the field name bound in as associated data, so a sealed value moved to another
/// client or field does not open. Data keys are wrapped (sealed) under a master key the same way.
public enum Envelope {
    public static func newDataKey() -> SymmetricKey { SymmetricKey(size: .bits256) }

    public static func wrap(_ dataKey: SymmetricKey, client: UUID, version: Int, under master: SymmetricKey) throws -> Data {
        let bytes = dataKey.withUnsafeBytes { Data($0) }
        return try AES.GCM.seal(bytes, using: master, authenticating: wrapContext(client, version)).combined!
    }

    public static func unwrap(_ wrapped: Data, client: UUID, version: Int, under master: SymmetricKey) throws -> SymmetricKey {
        SymmetricKey(data: try AES.GCM.open(AES.GCM.SealedBox(combined: wrapped), using: master, authenticating: wrapContext(client, version)))
    }

    public static func seal(_ value: String, client: UUID, field: String, under dataKey: SymmetricKey) throws -> Data {
        try AES.GCM.seal(Data(value.utf8), using: dataKey, authenticating: fieldContext(client, field)).combined!
    }

    public static func open(_ sealed: Data, client: UUID, field: String, under dataKey: SymmetricKey) throws -> String {
        let bytes = try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: dataKey, authenticating: fieldContext(client, field))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The keyed blind index of a name and date of birth.
    public static func blindIndex(name: String, birthDate: String, key: SymmetricKey) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data(DuplicateKey.normalised(name: name, birthDate: birthDate).utf8), using: key))
    }

    private static func wrapContext(_ client: UUID, _ version: Int) -> Data {
        Data("koppel.data-key|\(client.uuidString.lowercased())|\(version)".utf8)
    }

    private static func fieldContext(_ client: UUID, _ field: String) -> Data {
        Data("koppel.field|\(client.uuidString.lowercased())|\(field)".utf8)
    }
}
