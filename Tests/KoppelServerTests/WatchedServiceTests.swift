import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import KoppelServer

@Suite("A shutdown names the background service it waits for")
struct WatchedServiceTests {
    @Test("a service still running past its patience is named in a warning; one that stops at once is not")
    func namesWhatHoldsTheShutdown() async throws {
        let lines = Lines()
        let logger = Logger(label: "koppel") { _ in LineHandler(lines: lines) }
        let prompt = WatchedService(name: "prompt", service: Prompt(), logger: logger, patience: .milliseconds(100))
        let stubborn = WatchedService(name: "stubborn", service: Stubborn(), logger: logger, patience: .milliseconds(100))
        var configuration = ServiceGroupConfiguration(services: [prompt, stubborn], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        configuration.maximumGracefulShutdownDuration = .milliseconds(600)
        let group = ServiceGroup(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try? await group.run() }
            try await Task.sleep(for: .milliseconds(50))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(lines.all == ["shutdown is waiting for a background service service=stubborn"])
    }
}

/// Ends as soon as the shutdown begins.
private struct Prompt: Service {
    func run() async throws { try? await gracefulShutdown() }
}

/// Ignores the graceful shutdown; ends only when cancelled.
private struct Stubborn: Service {
    func run() async throws {
        while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
    }
}

private final class Lines: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

private struct LineHandler: LogHandler {
    let lines: Lines
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.add("\(event.message) \(fields)")
    }
}
