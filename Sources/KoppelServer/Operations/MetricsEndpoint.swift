import Foundation
import Hummingbird
import KoppelStore
import Logging
import NIOCore
import Prometheus

/// `GET /metrics` in Prometheus's text format, on a listener of its own (`metrics.port`), never on the port the
/// public reaches: only the network that monitoring runs in should see it (decision 0022). At each scrape the
/// levels that live in PostgreSQL (the outbox's backlog, this replica's connections) are read first; with
/// PostgreSQL unreachable they keep their last values and `koppel_database_up` says 0.
struct MetricsEndpoint: Sendable {
    let registry: PrometheusCollectorRegistry
    let measurements: Measurements
    let operations: OperationsStore
    let replica: String
    static let scrapeLimit: Duration = .seconds(5)

    /// A new registry and the measurements that write into it, for one application.
    static func measurements(into registry: PrometheusCollectorRegistry) -> Measurements {
        Measurements(factory: PrometheusMetricsFactory(registry: registry))
    }

    func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in
            await collectLevels(logger: logger)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil), logger: logger)
    }

    /// A scrape waits for PostgreSQL at most `scrapeLimit`: a call the driver lost (decision 0013) must not hold the
    /// scrape, nor the shutdown that waits for it.
    func collectLevels(logger: Logger) async {
        do {
            let (backlog, connections) = try await withDeadline(Self.scrapeLimit) { [operations, replica] in
                (try await operations.backlog(), try await operations.connections(replica: replica))
            }
            for (measure, value) in backlog {
                measurements.level("koppel_\(measure)", value)
            }
            for (pool, state, count) in connections {
                measurements.level("koppel_db_connections", Double(count), [("pool", pool), ("state", state)])
            }
            measurements.level("koppel_database_up", 1)
        } catch {
            logger.warning("metrics: PostgreSQL did not answer", metadata: ["error": "\(String(describing: type(of: error)))"])
            measurements.level("koppel_database_up", 0)
        }
    }
}
