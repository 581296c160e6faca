import Instrumentation
import Tracing

/// The spans of Koppel's own work: a request it serves, a webhook it sends. Either way each has W3C ids that the logs,
/// the `traceresponse` and the `traceparent` sent on carry. With OpenTelemetry export configured (`TraceExport`) the
/// spans are the tracer's and are exported; otherwise Koppel makes the ids itself and nothing leaves the process.
struct Spans: Sendable {
    /// Whether an OpenTelemetry tracer is installed (`InstrumentationSystem`, bootstrapped once per process).
    let exported: Bool

    static let local = Spans(exported: false)

    /// Starts a span named `name` (a route template or a fixed name: never an id or a person's data), as a child of
    /// `traceparent` when that is a valid W3C header, else as the start of a new trace.
    func start(_ name: String, kind: SpanKind, traceparent: String?) -> StartedSpan {
        guard exported else { return StartedSpan(context: TraceContext(traceparent: traceparent), span: nil) }
        var parent = InstrumentationContext.topLevel
        let caller = traceparent.flatMap(TraceContext.parse)
        if let traceparent, caller != nil {
            InstrumentationSystem.instrument.extract(["traceparent": traceparent], into: &parent, using: HeaderCarrier())
        }
        let span = startSpan(name, context: parent, ofKind: kind)
        var injected: [String: String] = [:]
        InstrumentationSystem.instrument.inject(span.context, into: &injected, using: HeaderCarrier())
        // The tracer's own ids, so that the exported span and the log line name the same span.
        guard let own = injected["traceparent"].flatMap(TraceContext.parse) else {
            return StartedSpan(context: TraceContext(traceparent: traceparent), span: span)
        }
        let context = TraceContext(
            traceID: own.traceID, spanID: own.spanID, parentID: caller?.spanID, flags: own.flags)
        return StartedSpan(context: context, span: span)
    }
}

/// A span under way: its W3C context, and the exported span behind it, if any.
struct StartedSpan: Sendable {
    let context: TraceContext
    let span: (any Span)?

    /// Sets an attribute of the exported span (OpenTelemetry's semantic conventions name them).
    func set(_ key: String, _ value: String) {
        span?.attributes[key] = value
    }

    func set(_ key: String, _ value: Int) {
        span?.attributes[key] = value
    }

    /// Ends the span; `failed` marks it as an error (a 5xx answer, a delivery that got none).
    func end(failed: Bool) {
        guard let span else { return }
        if failed { span.setStatus(SpanStatus(code: .error)) }
        span.end()
    }
}

/// Headers as a plain dictionary, for the tracer's propagator to read and write.
private struct HeaderCarrier: Extractor, Injector {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }

    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}
