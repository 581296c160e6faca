import Hummingbird
import NIOCore

/// No text Koppel takes may hold the NUL character: PostgreSQL cannot store it, so it would fail deep inside a
/// handler as a server error. It is refused at the door, in the path, the query, a form or a JSON body alike.
enum NULScreen {
    static let problem = Problem(
        status: .badRequest,
        detail: "The request holds a NUL character (U+0000, %00 or \\u0000), which no field of Koppel accepts. Remove it and send again.")

    /// Whether the request's URI or body carries a NUL in any encoding a reader of it might decode: the body's declared
    /// content type is not trusted, as the API reads a body without one as JSON and forms are read whatever they say.
    static func holdsNUL(uri: String, body: ByteBuffer) -> Bool {
        if holdsNUL(Array(uri.utf8), .percent) { return true }
        let bytes = body.withUnsafeReadableBytes { Array($0) }
        return holdsNUL(bytes, .percent) || holdsNUL(bytes, .json)
    }

    enum Encoding {
        /// Only a raw 0 byte.
        case raw
        /// A raw 0 or `%00` (URIs and forms).
        case percent
        /// A raw 0 or the escape `\u0000` (JSON; `\\u0000` is a backslash and text, not a NUL).
        case json
    }

    static func holdsNUL(_ bytes: [UInt8], _ encoding: Encoding) -> Bool {
        var index = 0
        while index < bytes.count {
            switch (bytes[index], encoding) {
            case (0, _):
                return true
            case (UInt8(ascii: "%"), .percent) where matches(bytes, at: index + 1, "00"):
                return true
            case (UInt8(ascii: "\\"), .json):
                if matches(bytes, at: index + 1, "u0000") || matches(bytes, at: index + 1, "U0000") { return true }
                index += 1  // the escaped character is skipped with its backslash
            default:
                break
            }
            index += 1
        }
        return false
    }

    private static func matches(_ bytes: [UInt8], at index: Int, _ text: String) -> Bool {
        let expected = Array(text.utf8)
        guard index + expected.count <= bytes.count else { return false }
        return Array(bytes[index..<(index + expected.count)]) == expected
    }
}
