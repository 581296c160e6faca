import Foundation
import KoppelStore
import Logging
import Synchronization

/// Sends every log line of the test process to a file in KOPPEL_TEST_LOG_DIR, where `scripts/test` looks for
/// canary values at the end of the run: identifying data must never reach a log.
public enum TestLogging {
    private static let once: Void = {
        guard let folder = ProcessInfo.processInfo.environment["KOPPEL_TEST_LOG_DIR"] else { return }
        let path = folder + "/swift-tests-\(ProcessInfo.processInfo.processIdentifier).log"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let file = FileHandle(forWritingAtPath: path) else { return }
        let sink = LogFile(file: file)
        LoggingSystem.bootstrap { label in FileLogHandler(label: label, sink: sink) }
    }()

    /// Idempotent; call before building anything that logs.
    public static func bootstrap() { _ = once }
}

final class LogFile: Sendable {
    private let file: Mutex<FileHandle>

    init(file: FileHandle) { self.file = Mutex(file) }

    func write(_ line: String) {
        file.withLock { $0.write(Data(line.utf8)) }
    }
}

struct FileLogHandler: LogHandler {
    let label: String
    let sink: LogFile
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        sink.write("\(event.level) \(label): \(event.message) \(fields)\n")
    }
}

/// A fresh vault key file per test application, removed afterwards with its erasure ledger.
public enum TestKeys {
    public static func newKeyFile() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("koppel-keys-\(UUID().uuidString).json").path
        try KeyFile.generated().write(to: path)
        return path
    }

    /// Removes a key file and the erasure ledger beside it.
    public static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.removeItem(atPath: KeyRing.defaultErasureLedger(keyFile: path))
    }
}

/// The canary values of `Tests/canaries.txt`, by name: tests file clients with them, and `scripts/test` then
/// looks for them in every log line of the run.
public enum Canaries {
    public static let values: [String: String] = {
        let url = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/canaries.txt")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        return values
    }()

    public static subscript(_ name: String) -> String { values[name] ?? "" }
}
