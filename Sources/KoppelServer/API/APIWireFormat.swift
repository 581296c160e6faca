import Foundation
@_spi(Generated) import OpenAPIRuntime

/// How the API writes its JSON: compact, keys sorted, as problem documents are; times in RFC 3339, in UTC and whole
/// seconds (`2026-12-03T14:05:00Z`). The generator's default pretty-printed every response and formatted times
/// through an ICU-backed formatter, which under load cost more than encoding the rest of a referral (decision 0012).
enum APIWireFormat {
    static let configuration = Configuration(dateTranscoder: RFC3339Transcoder(), jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])

    /// The generated server's own reader of headers, content types and `Accept`, for what Koppel reads before it or
    /// in its place (`ContractValidator`, the API's own routes).
    static let converter = Converter(configuration: configuration)

    /// A `JSONEncoder` that writes as the generated server does, for what is encoded outside it (problem documents).
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// Foundation's own ISO 8601 format style, which formats and parses without ICU.
struct RFC3339Transcoder: DateTranscoder {
    func encode(_ date: Date) throws -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    func decode(_ text: String) throws -> Date {
        try Date.ISO8601FormatStyle().parse(text)
    }
}
