import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The erasure ledger: the ids of erased clients, one a line, in a file kept with the key file and never in PostgreSQL
/// (decision 0010, "Backups, restores and erasure"). A database restored from a backup taken before an erasure still
/// holds the client's wrapped data key; the vault asks the ledger first and refuses to unwrap it, and
/// `koppel erasures reapply` erases it again. Only pseudonymous ids are written: the file names nobody.
///
/// Several replicas append to one file: each record is one `write` on a descriptor opened with `O_APPEND`, under an
/// exclusive `flock` (for file systems where appends alone are not atomic), made durable with `fsync` before the
/// erasure goes on. Readers take a line as a record when it ends in a client id, so a line torn by a crash, and the
/// record written after it, still count. What has been read is never forgotten in this process, even if the file is
/// replaced by an older copy.
public final class ErasureLedger: Sendable {
    public let path: String
    private let state = Mutex(State())

    private struct State {
        var erased: Set<UUID> = []
        var inode: UInt64?
        /// Bytes read so far: everything up to the last complete line.
        var offset: UInt64 = 0
        var damagedLines = 0
    }

    public init(path: String) {
        self.path = path
    }

    /// Whether the client was erased. A ledger that exists but cannot be read is an error: the vault then opens nothing.
    public func contains(_ client: UUID) throws(ErasureLedgerError) -> Bool {
        try refresh()
        return state.withLock { $0.erased.contains(client) }
    }

    /// Every client in the ledger, and how many lines could not be read as a record.
    public func erasedClients() throws(ErasureLedgerError) -> (clients: Set<UUID>, damagedLines: Int) {
        try refresh()
        return state.withLock { ($0.erased, $0.damagedLines) }
    }

    /// Appends the client and waits until the record is on disk; a client already listed is not written again.
    /// Throws when the record may not be durable: the caller must then not report the erasure as done.
    public func record(_ client: UUID) throws(ErasureLedgerError) {
        if try contains(client) { return }
        try append(Data((client.uuidString.lowercased() + "\n").utf8))
        state.withLock { _ = $0.erased.insert(client) }
    }

    /// Creates the file if it is missing and checks it can be appended to, so a replica that could not record an
    /// erasure says so when it starts rather than at its first erasure.
    public func prepare() throws(ErasureLedgerError) {
        try append(Data())
        try refresh()
    }

    private func append(_ bytes: Data) throws(ErasureLedgerError) {
        let existed = FileManager.default.fileExists(atPath: path)
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .unwritable(path, Self.lastError()) }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw .unwritable(path, Self.lastError()) }
        let written = bytes.withUnsafeBytes { buffer in buffer.isEmpty ? 0 : write(descriptor, buffer.baseAddress, buffer.count) }
        guard written == bytes.count else { throw .unwritable(path, written < 0 ? Self.lastError() : "short write") }
        guard fsync(descriptor) == 0 else { throw .unwritable(path, Self.lastError()) }
        // A new file is durable only once its folder's entry is.
        if !existed { try syncFolder() }
    }

    private func syncFolder() throws(ErasureLedgerError) {
        let folder = (path as NSString).deletingLastPathComponent
        let descriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unwritable(path, Self.lastError()) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .unwritable(path, Self.lastError()) }
    }

    /// Reads what was appended since the last look; the whole file again if it was replaced or shrank.
    private func refresh() throws(ErasureLedgerError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { return }  // no erasure recorded yet
            throw .unreadable(path, Self.lastError())
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .unreadable(path, "not a regular file") }
        let inode = UInt64(status.st_ino)
        let size = UInt64(status.st_size)
        let (known, offset) = state.withLock { ($0.inode, $0.offset) }
        let start: UInt64 = (known == inode && size >= offset) ? offset : 0
        if known == inode && size == offset { return }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable(path, "cannot open") }
        defer { try? handle.close() }
        let bytes: Data
        do {
            try handle.seek(toOffset: start)
            bytes = try handle.readToEnd() ?? Data()
        } catch {
            throw .unreadable(path, "\(error)")
        }
        // Only complete lines: a record being written now is read at the next look.
        guard let end = bytes.lastIndex(of: UInt8(ascii: "\n")) else {
            state.withLock { $0.inode = inode; $0.offset = start }
            return
        }
        let (found, damaged) = Self.parse(bytes[bytes.startIndex...end])
        state.withLock {
            if start == 0 { $0.damagedLines = 0 }
            $0.erased.formUnion(found)
            $0.damagedLines += damaged
            $0.inode = inode
            $0.offset = start + UInt64(end - bytes.startIndex + 1)
        }
    }

    /// Records in complete lines: a line ending in a client id is one; blank lines and `#` notes are skipped.
    static func parse(_ bytes: Data) -> (clients: Set<UUID>, damagedLines: Int) {
        var clients: Set<UUID> = []
        var damaged = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            if let id = UUID(uuidString: String(text.suffix(36))) { clients.insert(id) } else { damaged += 1 }
        }
        return (clients, damaged)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

public enum ErasureLedgerError: Error, CustomStringConvertible, Equatable {
    case unreadable(String, String)
    case unwritable(String, String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "the erasure ledger \(path) cannot be read (\(reason)); the vault opens nothing until it can"
        case .unwritable(let path, let reason):
            "cannot append to the erasure ledger \(path) (\(reason)); no erasure can be recorded, so none is done"
        }
    }
}
