import Foundation
import Testing

@testable import KoppelMail

@Suite struct MailMessageTests {
    static let date = Date(timeIntervalSince1970: 1_764_666_303)  // Tue, 02 Dec 2025 09:05:03 UTC
    static let subject = "Verwijzing geweigerd — Perspectief+"

    static func message(
        subject: String = subject,
        text: String = "Hallo\nwereld",
        html: String? = "<p>Hallo</p>",
        language: String? = "nl"
    ) throws -> MailMessage {
        try MailMessage(
            from: MailAddress("noreply@koppel.nl", displayName: "Koppel — meldingen"),
            to: [MailAddress("a@example.org", displayName: "Zoë"), MailAddress("b@example.org")],
            subject: subject,
            textBody: text,
            htmlBody: html,
            date: date,
            contentLanguage: language
        )
    }

    @Test func rendersTheExpectedHeaders() throws {
        let message = try Self.message()
        let rendered = message.rendered()
        #expect(rendered.header("Date") == "Tue, 02 Dec 2025 09:05:03 +0000")
        #expect(rendered.header("MIME-Version") == "1.0")
        #expect(rendered.header("Content-Language") == "nl")
        #expect(rendered.header("Auto-Submitted") == "auto-generated")
        #expect(rendered.header("Message-ID") == message.messageID)
        #expect(rendered.header("Content-Type")?.hasPrefix("multipart/alternative; boundary=\"") == true)
        #expect(Decode.encodedWords(rendered.header("Subject")!) == Self.subject)
        #expect(rendered.header("From")?.hasSuffix(" <noreply@koppel.nl>") == true)
        let to = try #require(rendered.header("To"))
        #expect(to.hasSuffix(" <a@example.org>, b@example.org"))
        #expect(Decode.encodedWords(String(to.prefix { $0 != "<" }).trimmingCharacters(in: .whitespaces)) == "Zoë")
    }

    @Test func messageIDIsRandomAtTheSenderDomain() throws {
        let first = try Self.message().messageID
        let second = try Self.message().messageID
        #expect(first != second)
        #expect(first.hasPrefix("<") && first.hasSuffix("@koppel.nl>"))
        #expect(first.count == "<@koppel.nl>".count + 32)
    }

    @Test func usesCRLFOnlyAndSevenBitASCII() throws {
        let rendered = try Self.message(text: "a\nb\r\nc\rd", html: "<p>é</p>\n").rendered()
        let bytes = Array(rendered.utf8)
        for (index, byte) in bytes.enumerated() {
            if byte == 13 { #expect(index + 1 < bytes.count && bytes[index + 1] == 10) }
            if byte == 10 { #expect(index > 0 && bytes[index - 1] == 13) }
            #expect(byte < 128)
        }
        #expect(rendered.hasSuffix("\r\n"))
    }

    @Test func linesStayShort() throws {
        let long = String(repeating: "Één cliënt — één zorgaanbieder. ", count: 20)
        let rendered = try Self.message(subject: long, text: long, html: "<p>\(long)</p>").rendered()
        for line in rendered.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 78, "too long: \(line)")
        }
        for line in rendered.headerAndBody.body.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76, "body line too long: \(line)")
        }
    }

    @Test func multipartHasTextThenHTMLWithAnUnusedBoundary() throws {
        let rendered = try Self.message(text: "--x\n=_koppel_", html: "<p>=_</p>").rendered()
        let contentType = try #require(rendered.header("Content-Type"))
        let boundary = String(contentType.split(separator: "\"")[1])
        #expect(boundary.count <= 70)
        let body = rendered.headerAndBody.body
        let parts = body.components(separatedBy: "--\(boundary)")
        #expect(parts.count == 4)  // preamble, text, html, "--" epilogue
        #expect(parts[0].isEmpty)
        #expect(
            parts[1].hasPrefix(
                "\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"))
        #expect(parts[2].hasPrefix("\r\nContent-Type: text/html; charset=UTF-8\r\n"))
        #expect(parts[3] == "--\r\n")
        let text = parts[1].headerAndBody.body
        #expect(text.hasSuffix("\r\n"))
        #expect(Decode.quotedPrintable(String(text.dropLast())) == "--x\r\n=_koppel_")  // "\r\n" is one Character
    }

    @Test func withoutHTMLTheMessageIsSinglePartText() throws {
        let rendered = try Self.message(text: "Hallo", html: nil, language: nil).rendered()
        #expect(rendered.header("Content-Type") == "text/plain; charset=UTF-8")
        #expect(rendered.header("Content-Transfer-Encoding") == "quoted-printable")
        #expect(rendered.header("Content-Language") == nil)
        #expect(rendered.headerAndBody.body == "Hallo\r\n")
    }

    @Test func quotedPrintableRoundTripsLongNonASCIILines() {
        let text = String(repeating: "Één cliënt — ", count: 15) + " \nTarief = 100% \t\n.punt\n\nlaatste"
        let encoded = QuotedPrintable.encode(text)
        #expect(Decode.quotedPrintable(encoded) == text.replacingOccurrences(of: "\n", with: "\r\n"))
        for line in encoded.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76)
            #expect(!line.hasSuffix(" ") && !line.hasSuffix("\t"))
            #expect(line.utf8.allSatisfy { $0 >= 32 && $0 < 127 })
        }
        #expect(encoded.contains("Tarief =3D 100% =09\r\n"))
    }

    @Test func quotedPrintableSoftBreaksAtExactly76AndNeverInsideACharacter() {
        #expect(QuotedPrintable.encode(String(repeating: "a", count: 76)) == String(repeating: "a", count: 76))
        #expect(
            QuotedPrintable.encode(String(repeating: "a", count: 77))
                == String(repeating: "a", count: 75) + "=\r\naa"
        )
        let encoded = QuotedPrintable.encode(String(repeating: "ë", count: 40))
        for line in encoded.components(separatedBy: "\r\n") {
            // Every line holds whole "=C3=AB" pairs.
            #expect(line.replacingOccurrences(of: "=C3=AB", with: "").replacingOccurrences(of: "=", with: "").isEmpty)
        }
    }

    @Test func subjectIsEncodedInShortUTF8Words() throws {
        let words = EncodedWords.encode(Self.subject)
        #expect(words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") })
        #expect(Decode.encodedWords(words.joined(separator: " ")) == Self.subject)

        let long = String(repeating: "Verwijzing geweigerd — Perspectief+ 👩‍⚕️ ", count: 5)
        let rendered = try Self.message(subject: long).rendered()
        let subjectField = try #require(
            rendered.headerAndBody.headers.components(separatedBy: "\r\nMessage-ID").first?
                .components(separatedBy: "Subject:").last
        )
        let folded = subjectField.components(separatedBy: "\r\n")
        #expect(folded.count > 1)
        #expect(folded.allSatisfy { $0.hasPrefix(" =?UTF-8?B?") && $0.count <= 76 })
        #expect(Decode.encodedWords(rendered.header("Subject")!) == long)
    }

    @Test func plainASCIISubjectsStayReadableAndFoldAtSpaces() throws {
        #expect(try Self.message(subject: "Nieuwe verwijzing").rendered().header("Subject") == "Nieuwe verwijzing")
        let long = Array(repeating: "Verwijzing", count: 15).joined(separator: " ")
        let rendered = try Self.message(subject: long).rendered()
        #expect(rendered.contains("\r\n Verwijzing"))
        #expect(rendered.header("Subject") == long)
        // Text that looks like an encoded-word must not be left for a decoder to misread.
        #expect(try Self.message(subject: "a =?x?= b").rendered().header("Subject")?.hasPrefix("=?UTF-8?B?") == true)
    }

    @Test func asciiDisplayNamesAreQuotedAndEscaped() throws {
        let tokens = HeaderFolding.mailboxTokens(try MailAddress("a@example.org", displayName: "Dr. \"Jan\" \\ Zorg"))
        #expect(tokens == ["\"Dr. \\\"Jan\\\" \\\\ Zorg\"", "<a@example.org>"])
    }

    @Test(arguments: [
        "Hallo\r\nBcc: victim@example.org", "Hallo\nBcc: x@y", "Hallo\rBcc: x@y", "Hallo\u{0}",
    ])
    func headerInjectionInTheSubjectIsRefused(subject: String) {
        #expect(throws: MailMessageError.self) { try Self.message(subject: subject) }
    }

    @Test func headerInjectionInNamesAndAddressesIsRefused() {
        #expect(throws: MailMessageError.self) { try MailAddress("a@example.org", displayName: "Eve\r\nBcc: x@y") }
        #expect(throws: MailMessageError.self) { try MailAddress("a@example.org\r\nBcc: x@y") }
        #expect(throws: MailMessageError.self) { try MailAddress("a@example.org>\r\nRCPT TO:<b@example.org") }
        #expect(throws: MailMessageError.self) { try Self.message(language: "nl\r\nBcc: x@y") }
        #expect(throws: MailMessageError.self) {
            try MailMessage(
                from: MailAddress("a@example.org"), to: [MailAddress("b@example.org")], subject: "s",
                textBody: "t", date: Self.date, messageID: "<a@b>\r\nBcc: x@y")
        }
    }

    @Test(arguments: ["a@example.org", "first.last+tag@sub.example.org", "x@192.0.2.1"])
    func validAddresses(address: String) {
        #expect(throws: Never.self) { try MailAddress(address) }
    }

    @Test(arguments: [
        "", "plain", "@example.org", "a@", "a@@b", "a b@c.d", "a@b..c", ".a@b.c", "<a@b.c>", "a,b@c.d",
        "zoë@example.org",
    ])
    func invalidAddresses(address: String) {
        #expect(throws: MailMessageError.self) { try MailAddress(address) }
    }

    @Test func messagesNeedRecipients() {
        #expect(throws: MailMessageError.self) {
            try MailMessage(from: MailAddress("a@b.c"), to: [], subject: "s", textBody: "t", date: Self.date)
        }
    }
}
