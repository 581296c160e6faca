import Foundation

/// An automatic notice: a plain-text body and optionally an HTML alternative.
///
/// All fields are checked in `init`, so a created message always renders safely
/// (see `rendered()`).
public struct MailMessage: Sendable {
    public let from: MailAddress
    public let to: [MailAddress]
    public let subject: String
    public let textBody: String
    public let htmlBody: String?
    /// Written as the Date header; pass the caller's clock.
    public let date: Date
    /// `<random@sender-domain>` unless given.
    public let messageID: String
    /// E.g. "nl" or "nl, en".
    public let contentLanguage: String?

    public init(
        from: MailAddress,
        to: [MailAddress],
        subject: String,
        textBody: String,
        htmlBody: String? = nil,
        date: Date,
        contentLanguage: String? = nil,
        messageID: String? = nil
    ) throws(MailMessageError) {
        guard !to.isEmpty else { throw MailMessageError("a message needs at least one recipient") }
        guard to.count <= 100 else { throw MailMessageError("too many recipients (\(to.count)); the limit is 100") }
        try HeaderText.check(subject, field: "subject")
        if let contentLanguage {
            guard !contentLanguage.isEmpty,
                contentLanguage.unicodeScalars.allSatisfy({
                    $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "," || $0 == " ")
                })
            else {
                throw MailMessageError(
                    "Content-Language '\(contentLanguage)' is not a list of language tags like 'nl' or 'nl, en'")
            }
        }
        let id = messageID ?? MailMessage.makeMessageID(domain: from.domain)
        guard MailMessage.isValidMessageID(id) else {
            throw MailMessageError("Message-ID must look like <unique@domain> with no spaces or control characters")
        }
        self.from = from
        self.to = to
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.date = date
        self.contentLanguage = contentLanguage
        self.messageID = id
    }

    static func makeMessageID(domain: Substring) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<16).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16) }
            .map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        return "<\(random)@\(domain)>"
    }

    static func isValidMessageID(_ id: String) -> Bool {
        id.utf8.count <= 250 && id.hasPrefix("<") && id.hasSuffix(">") && id.contains("@")
            && id.utf8.dropFirst().dropLast().allSatisfy {
                $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">")
            }
    }
}
