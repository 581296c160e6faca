import Foundation

/// W3C Trace Context: a request that arrives with a valid `traceparent` keeps its trace, and this server's part of it
/// gets a span of its own, so a proxy's or caller's traces and Koppel's log lines join up. Anything malformed starts
/// a new trace, as the recommendation asks, rather than failing the request.
struct TraceContext: Equatable, Sendable {
    /// 32 lower-case hex digits, not all zero.
    let traceID: String
    /// This server's span: 16 lower-case hex digits.
    let spanID: String
    /// The caller's span, when it sent one.
    let parentID: String?
    /// Trace flags, two hex digits (`01`: sampled).
    let flags: String

    /// The context for a request carrying `header` (or none): the caller's trace, or a new one.
    init(traceparent header: String?) {
        spanID = Self.randomHex(bytes: 8)
        if let header, let parent = Self.parse(header) {
            (traceID, parentID, flags) = (parent.traceID, parent.spanID, parent.flags)
        } else {
            (traceID, parentID, flags) = (Self.randomHex(bytes: 16), nil, "00")
        }
    }

    /// A context whose ids were made elsewhere (an OpenTelemetry tracer's, `Spans`).
    init(traceID: String, spanID: String, parentID: String?, flags: String) {
        (self.traceID, self.spanID, self.parentID, self.flags) = (traceID, spanID, parentID, flags)
    }

    /// This server's span as the `traceparent` of what it calls, or of a `traceresponse`.
    var header: String { "00-\(traceID)-\(spanID)-\(flags)" }

    /// Version, trace id, parent id and flags of a `traceparent`; a later version is read by the fields version 00 has.
    static func parse(_ header: String) -> (traceID: String, spanID: String, flags: String)? {
        let value = header.trimmingCharacters(in: .whitespaces)
        let fields = value.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 4, fields[0].count == 2, isHex(fields[0]), fields[0] != "ff" else { return nil }
        if fields[0] == "00", fields.count != 4 { return nil }
        let (trace, span, flags) = (fields[1], fields[2], fields[3])
        guard trace.count == 32, span.count == 16, flags.count == 2, isHex(trace), isHex(span), isHex(flags),
            trace.contains(where: { $0 != "0" }), span.contains(where: { $0 != "0" })
        else { return nil }
        return (trace, span, flags)
    }

    private static func isHex(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    /// Eight random bytes a call of the system's generator, written as hex by hand: every request makes a span id
    /// (and a trace id when the caller sent none), and a system call and a `printf` per byte showed in the profile.
    static func randomHex(bytes: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var generator = SystemRandomNumberGenerator()
        var hex: [UInt8] = []
        hex.reserveCapacity(bytes * 2)
        var word: UInt64 = 0
        for index in 0..<bytes {
            if index % 8 == 0 { word = generator.next() }
            let byte = UInt8(truncatingIfNeeded: word >> (8 * UInt64(index % 8)))
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
