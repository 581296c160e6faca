import Logging
import ServiceLifecycle

/// A background service that says so when it keeps a shutdown waiting: `patience` after the graceful shutdown began
/// it logs a warning naming itself, so an operator (and a test's log) can tell what a slow or cut-short stop waited for.
struct WatchedService: Service {
    let name: String
    let service: any Service
    let logger: Logger
    var patience: Duration = .seconds(5)

    func run() async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await service.run(); return true }
            group.addTask { await watch(); return false }
            while let serviceEnded = try await group.next() {
                if serviceEnded {
                    group.cancelAll()
                    return
                }
            }
        }
    }

    /// Waits for the shutdown and then for `patience`; says nothing when the service ends first (this is cancelled).
    private func watch() async {
        do {
            try await gracefulShutdown()
            try await Task.sleep(for: patience)
        } catch {
            return
        }
        logger.warning("shutdown is waiting for a background service", metadata: ["service": "\(name)"])
    }
}
