import Foundation
import KoppelCore
import KoppelStore

/// What a notice says in one language, for the notice list and the e-mail alike: one sentence from the catalogue,
/// filled with the programme, the referral's reference, its state or deadline. Nothing else exists to fill in.
struct NoticeText {
    let catalogue: Catalogue

    func sentence(_ content: NoticeContent) -> String {
        var values = [
            "reference": content.reference ?? "", "programme": content.programmeName ?? "",
            "state": content.state.map { catalogue.text($0.catalogueKey).lowercased() } ?? "",
            "due_kind": content.dueKind.map { catalogue.text("deadline.kind.\($0.rawValue)") } ?? "",
            "due": content.dueOn.map(catalogue.longDate) ?? "",
        ]
        values["programme"] = values["programme"]?.isEmpty == false ? values["programme"] : "Koppel"
        let forwarded = content.kind == .newReferral && content.forwarded
        return catalogue.text("notices.text." + (forwarded ? "forwarded_referral" : content.kind.rawValue), values)
    }

    /// Where the notice leads, as a path on Koppel's own site.
    func path(_ content: NoticeContent) -> String? {
        if let referral = content.referralID { return "/referrals/" + referral.uuidString.lowercased() }
        if let subscription = content.subscriptionID { return "/admin/webhooks/" + subscription.uuidString.lowercased() }
        return nil
    }

    func linkLabel(_ content: NoticeContent) -> String {
        catalogue.text(content.referralID == nil ? "notices.webhook_link" : "notices.link")
    }
}

extension Catalogue {
    /// A day as people write it in this language: 12 mei 2026, 12 May 2026.
    func longDate(_ day: Day) -> String {
        guard let date = DateComponents(calendar: Calendar(identifier: .gregorian), timeZone: .amsterdam, year: day.year, month: day.month, day: day.day).date
        else { return day.description }
        return date.formatted(Date.FormatStyle(date: .long, time: .omitted, timeZone: .amsterdam).locale(Locale(identifier: language.rawValue)))
    }
}
