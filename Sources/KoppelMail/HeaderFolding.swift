import Foundation

/// Builds header fields from tokens, folding onto continuation lines (CRLF + space)
/// to keep lines within 78 characters where the tokens allow it.
enum HeaderFolding {
    static let lineLimit = 78

    static func fold(name: String, tokens: [String]) -> String {
        var result = name + ":"
        var lineLength = result.utf8.count
        for token in tokens {
            let startsLine = lineLength == 0
            // Never leave the field name alone on its first line.
            if !startsLine && lineLength + 1 + token.utf8.count > lineLimit && lineLength > name.utf8.count + 1 {
                result += "\r\n"
                lineLength = 0
            }
            result += " " + token
            lineLength += 1 + token.utf8.count
        }
        return result
    }

    /// `"Name" <a@b>`, `=?UTF-8?B?...?= <a@b>` or just `a@b`.
    static func mailboxTokens(_ mailbox: MailAddress) -> [String] {
        guard let name = mailbox.displayName else { return [mailbox.address] }
        let quoted =
            "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
        let phrase = EncodedWords.isPlain(name) && quoted.utf8.count <= 60 ? [quoted] : EncodedWords.encode(name)
        return phrase + ["<\(mailbox.address)>"]
    }

    static func mailboxListTokens(_ mailboxes: [MailAddress]) -> [String] {
        var tokens: [String] = []
        for (index, mailbox) in mailboxes.enumerated() {
            var own = mailboxTokens(mailbox)
            if index < mailboxes.count - 1 { own[own.count - 1] += "," }
            tokens += own
        }
        return tokens
    }
}
