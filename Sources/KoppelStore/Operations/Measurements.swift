import CoreMetrics
import Foundation

/// What Koppel counts and times for its operators, by the names Prometheus shows (decision 0022). Each replica counts
/// its own; Prometheus adds the replicas up. Nothing here carries a person, an organisation or an id: labels are
/// routes, methods, statuses and fixed words only.
public struct Measurements: Sendable {
    let factory: any MetricsFactory

    public init(factory: any MetricsFactory) { self.factory = factory }

    /// Measures nothing: for tools and tests that do not look.
    public static let none = Measurements(factory: NOOPMetricsHandler.instance)

    /// The measurements of the request or background task running now; `.none` outside one.
    @TaskLocal public static var current: Measurements = .none

    /// A request answered: by route template (never the path as sent, which may hold ids), method and status.
    public func answered(route: String, method: String, status: Int, after duration: Duration) {
        Counter(label: "koppel_http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory)
            .increment()
        Timer(label: "koppel_http_request_duration_seconds", dimensions: [("route", route), ("method", method)], factory: factory)
            .recordNanoseconds(Self.nanoseconds(duration))
    }

    /// How long a transaction waited for a pooled connection (and its BEGIN) before its first statement: `tenant` for a
    /// request's work for an organisation, `clocked` for the vault's and others'.
    public func waitedForConnection(_ duration: Duration, transaction: String) {
        Timer(label: "koppel_db_connection_wait_seconds", dimensions: [("transaction", transaction)], factory: factory)
            .recordNanoseconds(Self.nanoseconds(duration))
    }

    /// A sign-in step refused: `step` password or code, `reason` wrong or locked.
    public func signInRefused(step: String, reason: String) {
        Counter(label: "koppel_sign_in_failures_total", dimensions: [("step", step), ("reason", reason)], factory: factory).increment()
    }

    /// Identifying data shown, for `purpose` (each reveal is audited besides; this only counts them).
    public func revealed(purpose: String) {
        Counter(label: "koppel_reveals_total", dimensions: [("purpose", purpose)], factory: factory).increment()
    }

    /// A webhook delivery tried: `result` delivered, retry or dead.
    public func deliveryTried(result: String) {
        Counter(label: "koppel_webhook_deliveries_total", dimensions: [("result", result)], factory: factory).increment()
    }

    /// A level read at scrape time (the outbox's backlog, connections by state).
    public func level(_ name: String, _ value: Double, _ dimensions: [(String, String)] = []) {
        Gauge(label: name, dimensions: dimensions, factory: factory).record(value)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
