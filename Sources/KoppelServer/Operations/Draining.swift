import Logging
import ServiceLifecycle
import Synchronization

/// Whether this replica is shutting down: readiness answers 503 from the moment SIGTERM arrives.
public final class DrainState: Sendable {
    private let draining = Atomic(false)

    public init() {}

    var isDraining: Bool { draining.load(ordering: .acquiring) }

    func begin() { draining.store(true, ordering: .releasing) }
}

/// The first step of a graceful shutdown, run beside the application in the process's service group (whose last
/// service is shut down first): readiness turns 503 at once, and for `delay` the server still answers, so a load
/// balancer that polls /readyz stops sending before the listener closes and in-flight requests finish.
public struct DrainService: Service {
    let state: DrainState
    let delay: Duration
    let logger: Logger

    public init(state: DrainState, delay: Duration, logger: Logger) {
        self.state = state
        self.delay = delay
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        state.begin()
        guard delay > .zero, !Task.isCancelled else { return }
        logger.notice("shutting down: readiness is 503 while requests are still served", metadata: ["drain_seconds": "\(delay.components.seconds)"])
        try? await Task.sleep(for: delay)
    }
}
