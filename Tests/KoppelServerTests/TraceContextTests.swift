import Testing
import Tracing

@testable import KoppelServer

@Suite("W3C trace context")
struct TraceContextTests {
    let sent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test("a valid traceparent keeps the caller's trace and sampling, with a span of this server's own")
    func keepsTheTrace() {
        let context = TraceContext(traceparent: sent)
        #expect(context.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.parentID == "00f067aa0ba902b7")
        #expect(context.spanID != "00f067aa0ba902b7" && context.spanID.count == 16)
        #expect(context.header == "00-4bf92f3577b34da6a3ce929d0e0e4736-\(context.spanID)-01")
        // A later version is read by the fields version 00 has.
        #expect(TraceContext.parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more")?.spanID == "00f067aa0ba902b7")
    }

    @Test("new ids are lower-case hex of the W3C lengths, and no two of 10,000 are the same")
    func newIDs() {
        var seen: Set<String> = []
        for _ in 0..<10_000 {
            let context = TraceContext(traceparent: nil)
            #expect(context.traceID.count == 32 && context.spanID.count == 16)
            #expect((context.traceID + context.spanID).allSatisfy { "0123456789abcdef".contains($0) })
            seen.insert(context.traceID)
            seen.insert(context.spanID)
        }
        #expect(seen.count == 20_000)
        #expect(TraceContext.randomHex(bytes: 3).count == 6 && TraceContext.randomHex(bytes: 9).count == 18)
    }

    @Test("anything malformed starts a new trace rather than joining a made-up one")
    func refusesMalformed() {
        for header in [
            "", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // all-zero trace
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // all-zero parent
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  // version 00 has four fields
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  // short trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        ] {
            #expect(TraceContext.parse(header) == nil, "\(header)")
            let context = TraceContext(traceparent: header)
            #expect(context.parentID == nil && context.traceID != "4bf92f3577b34da6a3ce929d0e0e4736" && context.traceID.count == 32)
        }
        #expect(TraceContext(traceparent: nil).traceID != TraceContext(traceparent: nil).traceID)
    }

    @Test("a span joins a valid caller's trace as a child, also when export is asked for and no tracer is installed")
    func spansWithoutATracer() {
        let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        for spans in [Spans.local, Spans(exported: true)] {
            let span = spans.start("GET /api/v1/referrals/{referralId}", kind: .server, traceparent: caller)
            #expect(span.context.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" && span.context.parentID == "00f067aa0ba902b7")
            #expect(span.context.spanID.count == 16 && span.context.spanID != "00f067aa0ba902b7")
            #expect(TraceContext.parse(span.context.header) != nil, "what it sends on is a valid traceparent")
            span.end(failed: false)
            let fresh = spans.start("webhook delivery", kind: .client, traceparent: "not a traceparent")
            #expect(fresh.context.parentID == nil && fresh.context.traceID != "4bf92f3577b34da6a3ce929d0e0e4736")
        }
    }
}
