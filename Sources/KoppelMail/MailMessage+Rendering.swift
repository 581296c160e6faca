extension MailMessage {
    /// The complete message, headers and body, as 7-bit ASCII with CRLF line endings.
    /// Bodies are UTF-8 in quoted-printable; with an HTML body the message is
    /// multipart/alternative (text/plain first, so clients prefer the HTML part).
    public func rendered() -> String {
        rendered(boundary: MailMessage.makeBoundary())
    }

    func rendered(boundary: String) -> String {
        var headers = [
            "Date: \(RFC5322Date.format(date))",
            HeaderFolding.fold(name: "From", tokens: HeaderFolding.mailboxTokens(from)),
            HeaderFolding.fold(name: "To", tokens: HeaderFolding.mailboxListTokens(to)),
            HeaderFolding.fold(name: "Subject", tokens: EncodedWords.unstructuredTokens(subject)),
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
        ]
        if let contentLanguage { headers.append("Content-Language: \(contentLanguage)") }
        headers.append("Auto-Submitted: auto-generated")

        let text = QuotedPrintable.encode(textBody)
        guard let htmlBody else {
            headers += ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"]
            return headers.joined(separator: "\r\n") + "\r\n\r\n" + text + "\r\n"
        }
        headers.append("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"")
        let html = QuotedPrintable.encode(htmlBody)
        func part(_ type: String, _ body: String) -> String {
            "--\(boundary)\r\nContent-Type: \(type); charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\(body)\r\n"
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + part("text/plain", text) + part("text/html", html)
            + "--\(boundary)--\r\n"
    }

    /// "=_" can never appear in quoted-printable output (a "=" there is always followed by
    /// hex digits or a line break), so this boundary cannot clash with an encoded body.
    static func makeBoundary() -> String {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<4).map { _ in String(UInt32.random(in: 0...UInt32.max, using: &generator), radix: 16) }
        return "=_koppel_" + random.joined(separator: "_")
    }
}
