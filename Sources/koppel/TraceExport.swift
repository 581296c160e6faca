import Logging
import OTel
import ServiceLifecycle
import Tracing

/// OpenTelemetry export (`tracing.otlp-endpoint`): installs a tracer whose spans go to the endpoint over OTLP/HTTP
/// (protobuf), once for the process, and returns the service that batches and sends them. Traces only: metrics have
/// `/metrics`, and logs stay on standard output. The `OTEL_*` variables (headers, resource attributes, sampler) apply.
enum TraceExport {
    static func bootstrap(endpoint: String, logger: Logger) throws -> any Service {
        var configuration = OTel.Configuration.default
        configuration.serviceName = "koppel"
        configuration.propagators = [.traceContext]
        configuration.diagnosticLogger = .custom(logger)
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.otlpExporter.endpoint = endpoint
        // A caller's decision not to sample is kept; a trace that starts here is recorded.
        configuration.traces.sampler = .parentBasedAlwaysOn
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        return backend.service
    }
}
