import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore

/// A programme's operational details, edited by its coordinators and hub-admins.
struct ProgrammeEditPage {
    let renderer: PageRenderer
    let directory: any ProgrammeDirectory
    let programmes: ProgrammeStore
    let confirmations: DirectoryConfirmations

    func register(on routes: RouteRegistrar) {
        routes.get("/programmes/{id}/edit") { request, context in try await form(request, context) }
        routes.post("/programmes/{id}/edit") { request, context in try await save(request, context) }
        DirectoryConfirmationForm(confirmations: confirmations).register(on: routes)
    }

    private func programme(_ context: AppRequestContext) async throws -> (Actor, SessionCookie, Programme)? {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw Problem(status: .notFound, detail: "No such programme.") }
        guard let (actor, session) = try context.pageAccess({ _ in .editProgramme(programme: id) }) else { return nil }
        guard let programme = try await directory.programme(id: id) else { throw Problem(status: .notFound, detail: "No such programme.") }
        return (actor, session, programme)
    }

    private func form(_ request: Request, _ context: AppRequestContext, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let (actor, session, programme) = try await programme(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        var values: [String: Any] = [
            "csrf": session.record.csrfToken, "id": programme.id.uuidString.lowercased(), "name": programme.name, "error": error as Any,
            "statuses": ProgrammeStatus.allCases.map {
                ["value": $0.rawValue, "label": catalogue.text("programme.status.\($0.rawValue)"), "selected": $0 == programme.status]
            },
            "placesTotal": programme.placesTotal.map(String.init) ?? "",
            "minimumAge": programme.eligibility.minimumAge.map(String.init) ?? "",
            "maximumAge": programme.eligibility.maximumAge.map(String.init) ?? "",
            "duration": programme.typicalDurationMonths.map(String.init) ?? "",
            "responseDays": String(programme.responseTerms.responseDays), "startDays": String(programme.responseTerms.startDays),
            "reviewDays": String(programme.responseTerms.reviewDays),
            "targetGroups": TargetGroup.allCases.map {
                ["value": $0.rawValue, "label": catalogue.text($0.catalogueKey), "selected": programme.eligibility.targetGroups.contains($0)]
            },
            "eligibilityNl": programme.eligibility.description?.dutch ?? "", "eligibilityEn": programme.eligibility.description?.english ?? "",
            "intakeNl": programme.applicationProcess?.dutch ?? "", "intakeEn": programme.applicationProcess?.english ?? "",
        ]
        values.merge(try await DirectoryConfirmationForm(confirmations: confirmations).values(programme.id, actor, request, catalogue)) { $1 }
        return renderer.page("programme-edit", title: catalogue.text("programme.edit.title", ["programme": programme.name]),
                             values: values, request: request, identity: context.identity, status: status)
    }

    private struct EditForm: AntiForgeryForm {
        let status: String?
        let places_total: String?
        let minimum_age: String?
        let maximum_age: String?
        let typical_duration_months: String?
        let response_working_days: String?
        let start_working_days: String?
        let review_working_days: String?
        let target_groups: [String]?
        let eligibility_nl: String?
        let eligibility_en: String?
        let application_process_nl: String?
        let application_process_en: String?
        let csrf_token: String
    }

    private func save(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(EditForm.self, from: request, session: context.identity.session)
        guard let (actor, _, programme) = try await programme(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        func number(_ text: String?) -> Int?? {
            guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return .some(nil) }
            return Int(text).map { .some($0) } ?? nil
        }
        guard let places = number(form.places_total), let minimum = number(form.minimum_age), let maximum = number(form.maximum_age),
            let duration = number(form.typical_duration_months), let responseDays = number(form.response_working_days),
            let startDays = number(form.start_working_days), let reviewDays = number(form.review_working_days)
        else {
            return try await self.form(request, context, error: catalogue.text("programme.edit.numbers"), status: .unprocessableContent)
        }
        var change = ProgrammeChange()
        change.status = form.status.flatMap(ProgrammeStatus.init(rawValue:))
        change.placesTotal = places
        change.minimumAge = minimum
        change.maximumAge = maximum
        change.typicalDurationMonths = duration
        change.responseDays = responseDays
        change.startDays = startDays
        change.reviewDays = reviewDays
        change.targetGroups = (form.target_groups ?? []).compactMap(TargetGroup.init(rawValue:))
        change.eligibility = [.dutch: form.eligibility_nl ?? "", .english: form.eligibility_en ?? ""].filter { !$0.value.isEmpty }
        change.applicationProcess = [.dutch: form.application_process_nl ?? "", .english: form.application_process_en ?? ""].filter { !$0.value.isEmpty }
        do {
            try await ProgrammeChanges(programmes: programmes).apply(change, to: programme.id, by: actor)
        } catch let problem as Problem where problem.status == .unprocessableContent {
            return try await self.form(request, context, error: catalogue.text("programme.edit.invalid"), status: .unprocessableContent)
        }
        return .redirect(to: "/programmes/\(programme.id.uuidString.lowercased())", type: .normal)
    }
}
