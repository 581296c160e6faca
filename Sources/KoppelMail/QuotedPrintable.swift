import Foundation

/// Quoted-printable body encoding (RFC 2045 §6.7) of UTF-8 text.
///
/// Any newline convention in the input becomes a CRLF hard break. Output lines are at
/// most 76 characters, soft breaks are "=" at the end of a line, "=" itself and all
/// non-ASCII bytes are escaped, and whitespace at the end of a line is escaped so that
/// transports which strip trailing spaces cannot change the text. A soft break never
/// splits the bytes of one character, which helps clients that decode line by line.
enum QuotedPrintable {
    static let maxLineLength = 76

    static func encode(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return normalized.split(separator: "\n", omittingEmptySubsequences: false)
            .map(encodeLine)
            .joined(separator: "\r\n")
    }

    private static func encodeLine(_ line: Substring) -> String {
        var output = ""
        var current = ""
        let scalars = Array(line.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            let isLast = index == scalars.count - 1
            let token: String
            switch scalar.value {
            case 0x20, 0x09: token = isLast ? escaped(UInt8(scalar.value)) : String(scalar)
            case 0x21...0x7E where scalar != "=": token = String(scalar)
            default: token = String(scalar).utf8.map(escaped).joined()
            }
            // Leave room for the soft-break "=" unless this token ends the line.
            let limit = isLast ? maxLineLength : maxLineLength - 1
            if current.utf8.count + token.utf8.count > limit {
                output += current + "=\r\n"
                current = ""
            }
            current += token
        }
        return output + current
    }

    private static let hexDigits = Array("0123456789ABCDEF")

    private static func escaped(_ byte: UInt8) -> String {
        "=" + String(hexDigits[Int(byte >> 4)]) + String(hexDigits[Int(byte & 0x0F)])
    }
}
