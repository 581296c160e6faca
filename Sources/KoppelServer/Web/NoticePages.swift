import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore

/// Every signed-in person's notices (the bell on every page leads here) and their notice settings: how they hear of
/// each kind, when their digest comes, the language of their mail.
struct NoticePages {
    let renderer: PageRenderer
    let notices: NoticeStore
    /// Whether a mail server is set: without one, notices are shown in Koppel only, and the settings say so.
    let mailConfigured: Bool

    func register(on routes: RouteRegistrar) {
        routes.get("/notices") { request, context in try await list(request, context) }
        routes.post("/notices/read-all") { request, context in try await markAllRead(request, context) }
        routes.get("/notices/settings") { request, context in try await settingsPage(request, context) }
        routes.post("/notices/settings") { request, context in try await saveSettings(request, context) }
        routes.post("/notices/{noticeId}/{change}") { request, context in try await change(request, context) }
    }

    private func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (actor, session) = try Self.reader(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        let text = NoticeText(catalogue: catalogue)
        let format = Date.FormatStyle(date: .abbreviated, time: .shortened, timeZone: .amsterdam).locale(Locale(identifier: catalogue.language.rawValue))
        let items = try await notices.notices(for: actor).map { notice -> [String: Any] in
            [
                "id": String(notice.id), "text": text.sentence(notice.content), "kind": catalogue.text(notice.content.kind.catalogueKey),
                "at": notice.content.createdAt.formatted(format), "unread": !notice.read, "hasLink": text.path(notice.content) != nil,
            ]
        }
        return renderer.page(
            "notices", titleKey: "notices.title", values: ["csrf": session.record.csrfToken, "notices": items, "any": !items.isEmpty],
            request: request, identity: context.identity)
    }

    private struct CSRFForm: AntiForgeryForm {
        let csrf_token: String
    }

    /// `open`: marks it read and goes where it leads; `read`: marks it read and stays on the list.
    private func change(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        _ = try await Forms.submitted(CSRFForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try Self.reader(context) else { return .redirect(to: "/sign-in", type: .normal) }
        guard let id = context.parameters.get("noticeId").flatMap(Int64.init), id > 0, let change = context.parameters.get("change"),
            ["open", "read"].contains(change)
        else { throw Problem(status: .notFound, detail: "No such page.") }
        guard let notice = try await notices.markRead(id, by: actor) else { throw Problem(status: .notFound, detail: "No such notice.") }
        let path = NoticeText(catalogue: renderer.catalogue(for: request)).path(notice.content)
        return .redirect(to: change == "open" ? path ?? "/notices" : "/notices", type: .normal)
    }

    private func markAllRead(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        _ = try await Forms.submitted(CSRFForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try Self.reader(context) else { return .redirect(to: "/sign-in", type: .normal) }
        try await notices.markAllRead(by: actor)
        return .redirect(to: "/notices", type: .normal)
    }

    private func settingsPage(
        _ request: Request, _ context: AppRequestContext, shown: NoticeSettings? = nil, message: [String: Any] = [:],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let (actor, session) = try Self.reader(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        let current = try await notices.settings(of: actor)
        let settings = shown ?? current
        let kinds = NoticeKind.kinds(for: actor.roles).map { kind -> [String: Any] in
            [
                "kind": kind.rawValue, "label": catalogue.text(kind.catalogueKey), "fixed": !kind.mayBeTurnedOff,
                "choices": kind.choices.map { delivery -> [String: Any] in
                    [
                        "value": delivery.rawValue, "label": catalogue.text(delivery.catalogueKey),
                        "selected": settings.delivery(of: kind) == delivery,
                    ]
                },
            ]
        }
        var values: [String: Any] = [
            "csrf": session.record.csrfToken, "kinds": kinds, "noMail": !mailConfigured,
            "digestTime": String(format: "%02d:%02d", settings.digestMinute / 60, settings.digestMinute % 60),
            "languages": UILanguage.allCases.map { language -> [String: Any] in
                ["value": language.rawValue, "label": catalogues(language).text("language_switch.label"), "selected": settings.language == language]
            },
            "saved": request.uri.queryParameters["saved"] != nil,
        ]
        values.merge(message) { $1 }
        return renderer.page("notice-settings", titleKey: "notices.settings_title", values: values, request: request, identity: context.identity, status: status)
    }

    private func catalogues(_ language: UILanguage) -> Catalogue { renderer.catalogues[language] }

    private func saveSettings(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(SettingsForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try Self.reader(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        var settings = try await notices.settings(of: actor)
        for kind in NoticeKind.kinds(for: actor.roles) {
            guard let value = form.delivery(of: kind) else { continue }
            guard let delivery = NoticeDelivery(rawValue: value) else {
                return try await settingsPage(request, context, message: ["error": catalogue.text("notices.may_not_turn_off")], status: .unprocessableContent)
            }
            settings.deliveries[kind] = delivery
        }
        if let language = form.language { settings.language = UILanguage(code: language) ?? settings.language }
        guard let minute = Self.minuteOfDay(form.digest_time ?? "") else {
            return try await settingsPage(
                request, context, shown: settings, message: ["error": catalogue.text("notices.invalid_digest_time")], status: .unprocessableContent)
        }
        settings.digestMinute = minute
        do {
            try await notices.save(settings, for: actor)
        } catch let problem as NoticeSettingsProblem {
            let key = problem == .invalidDigestTime ? "notices.invalid_digest_time" : "notices.may_not_turn_off"
            return try await settingsPage(request, context, shown: settings, message: ["error": catalogue.text(key)], status: .unprocessableContent)
        }
        return .redirect(to: "/notices/settings?saved=1", type: .normal)
    }

    /// One select per kind, named after it.
    private struct SettingsForm: AntiForgeryForm {
        let csrf_token: String
        let digest_time: String?
        let language: String?
        let new_referral, overdue, referral_update, message, consent_withdrawn, escalation, webhook_disabled: String?

        func delivery(of kind: NoticeKind) -> String? {
            switch kind {
            case .newReferral: new_referral
            case .overdue: overdue
            case .referralUpdate: referral_update
            case .message: message
            case .consentWithdrawn: consent_withdrawn
            case .escalation: escalation
            case .webhookDisabled: webhook_disabled
            }
        }
    }

    /// `HH:MM` (a browser's time field), as minutes after midnight.
    static func minuteOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }), let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        return hour * 60 + minute
    }

    /// The signed-in person: anyone may read their own notices.
    private static func reader(_ context: AppRequestContext) throws -> (Actor, SessionCookie)? {
        guard let actor = context.identity.actor, let session = context.identity.session else { return nil }
        return (actor, session)
    }
}
