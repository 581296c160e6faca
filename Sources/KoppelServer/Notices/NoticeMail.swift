import Foundation
import KoppelCore
import KoppelMail
import KoppelStore

/// The e-mail of one notice, or one person's daily digest: the notices' sentences and links to Koppel, in the person's
/// language. Nothing but what the notices say (NoticeText), so nothing identifying can be in it.
struct NoticeMail {
    let catalogues: Catalogues
    /// Koppel's address as its users reach it, for the links.
    let publicURL: String
    let sender: MailAddress

    func message(for notices: [MailNotice], at date: Date) throws -> MailMessage {
        let first = notices[0]
        let catalogue = catalogues[first.language]
        let text = NoticeText(catalogue: catalogue)
        let lines = notices.map { notice in (sentence: text.sentence(notice.content), link: text.path(notice.content).map { publicURL + $0 }) }
        let subject =
            first.digest
            ? catalogue.text("notices.mail.digest_subject", ["count": String(notices.count)])
            : catalogue.text("notices.mail.subject_prefix") + ": " + lines[0].sentence
        var plain = first.digest ? catalogue.text("notices.mail.digest_intro") + "\n\n" : ""
        var html = "<!DOCTYPE html><html lang=\"\(first.language.rawValue)\"><body>"
        if first.digest { html += "<p>\(escaped(catalogue.text("notices.mail.digest_intro")))</p>" }
        html += "<ul>"
        for line in lines {
            plain += (first.digest ? "- " : "") + line.sentence + "\n"
            html += "<li>\(escaped(line.sentence))"
            if let link = line.link {
                plain += (first.digest ? "  " : "") + catalogue.text("notices.mail.open") + ": " + link + "\n"
                html += " <a href=\"\(escaped(link))\">\(escaped(catalogue.text("notices.mail.open")))</a>"
            }
            html += "</li>"
            plain += "\n"
        }
        plain += "-- \n" + catalogue.text("notices.mail.footer") + "\n"
        html += "</ul><p style=\"color:#555\">\(escaped(catalogue.text("notices.mail.footer")))</p></body></html>"
        return try MailMessage(
            from: sender, to: [try MailAddress(first.email)], subject: subject, textBody: plain, htmlBody: html, date: date,
            contentLanguage: first.language.rawValue)
    }

    private func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
