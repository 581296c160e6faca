import Crypto
import Foundation
import Synchronization

/// The master keys (by version) and the blind-index key, read from a key file that never goes into
/// PostgreSQL. The file is read again whenever it changes (every write replaces it with a new file, so its inode
/// number changes even when the clock's granularity would hide the change), so `koppel keys rotate` takes effect in a running
/// server at its next vault operation, without a restart. The erasure ledger is kept with the keys: whoever holds the key
/// file to open a restored database must also hold the record of who may no longer be opened.
public final class KeyRing: Sendable {
    public let path: String
    public let erasures: ErasureLedger
    private let loaded: Mutex<(version: FileVersion?, keys: KeyFile)>

    /// `erasureLedger` defaults to the key file's path with `.erasures` added: beside it, and one per key file.
    public init(path: String, erasureLedger: String? = nil) throws(KeyFileError) {
        self.path = path
        erasures = ErasureLedger(path: erasureLedger ?? Self.defaultErasureLedger(keyFile: path))
        let keys = try KeyFile.read(path)
        loaded = Mutex((FileVersion(path), keys))
    }

    public static func defaultErasureLedger(keyFile: String) -> String { keyFile + ".erasures" }

    /// The version and key that new data keys are wrapped under.
    public func currentMasterKey() throws(KeyFileError) -> (version: Int, key: SymmetricKey) {
        let keys = try refreshed()
        guard let key = keys.masterKeys[keys.current] else { throw .missingVersion(keys.current) }
        return (keys.current, SymmetricKey(data: key))
    }

    public func masterKey(version: Int) throws(KeyFileError) -> SymmetricKey {
        guard let key = try refreshed().masterKeys[version] else { throw .missingVersion(version) }
        return SymmetricKey(data: key)
    }

    public func blindIndexKey() throws(KeyFileError) -> SymmetricKey {
        SymmetricKey(data: try refreshed().blindIndexKey)
    }

    /// A key for one purpose (sealing TOTP seeds, keying the audit chain), derived with HKDF from the key file's
    /// long-lived secret, which `keys rotate` leaves alone: what it protects stays readable across rotations, and
    /// no two purposes share a key.
    public func derivedKey(purpose: String) throws(KeyFileError) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: try blindIndexKey(), salt: Data("koppel.derived-key".utf8), info: Data(purpose.utf8), outputByteCount: 32)
    }

    private func refreshed() throws(KeyFileError) -> KeyFile {
        let version = FileVersion(path)
        let current = loaded.withLock { $0 }
        if version == current.version { return current.keys }
        let keys = try KeyFile.read(path)
        loaded.withLock { $0 = (version, keys) }
        return keys
    }
}

/// Which file is at a path, and when it was last written.
private struct FileVersion: Equatable {
    let inode: Int
    let modified: Date

    init?(_ path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let inode = (attributes[.systemFileNumber] as? NSNumber)?.intValue, let modified = attributes[.modificationDate] as? Date
        else { return nil }
        self.inode = inode
        self.modified = modified
    }
}

/// The key file: `{"current": 2, "master_keys": {"1": base64, "2": base64}, "blind_index_key": base64}`,
/// readable by its owner only. Keys are held as their 32 bytes.
public struct KeyFile: Sendable {
    public var current: Int
    public var masterKeys: [Int: Data]
    public var blindIndexKey: Data

    /// A new key file's contents: master key version 1 and a blind-index key, both random.
    public static func generated() -> KeyFile {
        KeyFile(current: 1, masterKeys: [1: randomKey()], blindIndexKey: randomKey())
    }

    /// The same file with a new random master key as the current one; the old ones stay until nothing is
    /// wrapped under them any more.
    public func addingMasterKey() -> KeyFile {
        var copy = self
        copy.current = (masterKeys.keys.max() ?? 0) + 1
        copy.masterKeys[copy.current] = Self.randomKey()
        return copy
    }

    public static func read(_ path: String) throws(KeyFileError) -> KeyFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        guard let stored = try? JSONDecoder().decode(Stored.self, from: data) else { throw .malformed(path) }
        var masterKeys: [Int: Data] = [:]
        for (version, text) in stored.master_keys {
            guard let number = Int(version), number > 0, let key = Self.key(text) else { throw .malformed(path) }
            masterKeys[number] = key
        }
        guard let blindIndexKey = Self.key(stored.blind_index_key), masterKeys[stored.current] != nil else { throw .malformed(path) }
        return KeyFile(current: stored.current, masterKeys: masterKeys, blindIndexKey: blindIndexKey)
    }

    /// Written to a new file beside it and renamed over it, so a reader sees the old file or the new, never half.
    public func write(to path: String) throws {
        let stored = Stored(
            current: current,
            master_keys: Dictionary(uniqueKeysWithValues: masterKeys.map { (String($0.key), Self.text($0.value)) }),
            blind_index_key: Self.text(blindIndexKey))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = path + ".new"
        guard FileManager.default.createFile(atPath: temporary, contents: try encoder.encode(stored), attributes: [.posixPermissions: 0o600]) else {
            throw KeyFileError.unwritable(temporary)
        }
        guard rename(temporary, path) == 0 else { throw KeyFileError.unwritable(path) }
    }

    private struct Stored: Codable {
        var current: Int
        var master_keys: [String: String]
        var blind_index_key: String
    }

    private static func key(_ text: String) -> Data? {
        guard let data = Data(base64Encoded: text), data.count == 32 else { return nil }
        return data
    }

    private static func text(_ key: Data) -> String { key.base64EncodedString() }

    private static func randomKey() -> Data { SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) } }
}

public enum KeyFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(String)
    case malformed(String)
    case missingVersion(Int)
    case unwritable(String)

    public var description: String {
        switch self {
        case .unreadable(let path): "the vault key file \(path) cannot be read; create one with `koppel keys init`"
        case .malformed(let path): "the vault key file \(path) is not a Koppel key file (current, master_keys, blind_index_key of 32 bytes each)"
        case .missingVersion(let version): "the vault key file has no master key version \(version)"
        case .unwritable(let path): "cannot write \(path); check the folder's permissions"
        }
    }
}
