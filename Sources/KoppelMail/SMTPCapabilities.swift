/// What the server announced in its EHLO reply (the lines after the greeting line).
struct SMTPCapabilities: Sendable, Equatable {
    var startTLS = false
    /// Upper-cased AUTH mechanism names, e.g. ["PLAIN", "LOGIN"].
    var authMechanisms: Set<String> = []
    /// True when SIZE was announced; `sizeLimit` is nil or 0 when it has no limit.
    var supportsSize = false
    var sizeLimit: Int?
    var eightBitMIME = false

    init() {}

    /// Parses an EHLO reply. A HELO reply (or none) gives no capabilities.
    init(ehloReply: SMTPReply) {
        for line in ehloReply.lines.dropFirst() {
            let words = line.split(separator: " ").map { $0.uppercased() }
            guard let keyword = words.first else { continue }
            switch keyword {
            case "STARTTLS": startTLS = true
            case "8BITMIME": eightBitMIME = true
            case "SIZE":
                supportsSize = true
                sizeLimit = words.count > 1 ? Int(words[1]) : nil
            case "AUTH": authMechanisms.formUnion(words.dropFirst())
            default:
                // Some old servers announce "AUTH=LOGIN PLAIN".
                if keyword.hasPrefix("AUTH=") {
                    authMechanisms.insert(String(keyword.dropFirst(5)))
                    authMechanisms.formUnion(words.dropFirst())
                }
            }
        }
    }
}
