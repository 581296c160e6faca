/// Turns a rendered message into the bytes sent after DATA (RFC 5321 §4.5.2):
/// every line ends in CRLF (bare CR or LF are converted), a line starting with "." gets
/// a second ".", the last line is terminated even if the input was not, and the
/// end-of-data marker ".\r\n" follows.
enum SMTPDataEncoding {
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let dot = UInt8(ascii: ".")

    static func dotStuffed(_ message: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.utf8.count + message.utf8.count / 50 + 8)
        var atLineStart = true
        var afterCR = false
        for byte in message.utf8 {
            if byte == lf && afterCR {
                afterCR = false
                continue  // the CRLF was already written for the CR
            }
            afterCR = byte == cr
            if byte == cr || byte == lf {
                output += [cr, lf]
                atLineStart = true
                continue
            }
            if atLineStart && byte == dot { output.append(dot) }
            output.append(byte)
            atLineStart = false
        }
        if !atLineStart { output += [cr, lf] }
        output += [dot, cr, lf]
        return output
    }
}
