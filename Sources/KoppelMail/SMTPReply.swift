/// One complete server reply, e.g. the lines of `250-...`/`250 ...` joined.
struct SMTPReply: Sendable, Equatable {
    let code: Int
    /// The text of each line without the code and separator.
    let lines: [String]

    init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    var isPositiveCompletion: Bool { (200..<300).contains(code) }
    var isPositiveIntermediate: Bool { (300..<400).contains(code) }

    /// Code and text on one line, for errors and logs.
    var summary: String { "\(code) \(lines.joined(separator: " / "))" }
}

/// Collects reply lines until the final one (`ddd text` or `ddd`), checking that every
/// line has the same three-digit code and that a reply stays reasonably short.
struct SMTPReplyParser {
    let maxLines: Int
    private var code: Int?
    private var lines: [String] = []

    init(maxLines: Int = 100) {
        self.maxLines = maxLines
    }

    /// Returns the reply when `line` (without CRLF) completes it, nil when more lines follow.
    mutating func feed(_ line: String) throws(SMTPError) -> SMTPReply? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(bytes[0]),
            bytes[1...2].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            throw SMTPError(.protocolViolation, "not an SMTP reply line: \(SMTPReplyParser.clipped(line))")
        }
        let lineCode = Int(bytes[0] - 48) * 100 + Int(bytes[1] - 48) * 10 + Int(bytes[2] - 48)
        if let code, code != lineCode {
            throw SMTPError(.protocolViolation, "reply code changed from \(code) to \(lineCode) within one reply")
        }
        let isFinal: Bool
        switch bytes.count > 3 ? bytes[3] : UInt8(ascii: " ") {
        case UInt8(ascii: " "): isFinal = true
        case UInt8(ascii: "-"): isFinal = false
        default: throw SMTPError(.protocolViolation, "bad separator in reply line: \(SMTPReplyParser.clipped(line))")
        }
        code = lineCode
        lines.append(SMTPReplyParser.printable(bytes.count > 4 ? String(line.dropFirst(4)) : ""))
        guard lines.count <= maxLines else {
            throw SMTPError(.protocolViolation, "reply \(lineCode) has more than \(maxLines) lines")
        }
        guard isFinal else { return nil }
        defer { (code, lines) = (nil, []) }
        return SMTPReply(code: lineCode, lines: lines)
    }

    /// Server text ends up in our logs and errors: drop control characters.
    private static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }

    private static func clipped(_ line: String) -> String {
        let text = printable(String(line.prefix(80)))
        return line.count > 80 ? text + "..." : text
    }
}
