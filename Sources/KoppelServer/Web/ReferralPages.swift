import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore
import KoppelUseCases

/// The referral pages: a caseworker's "our referrals" and "new referral", a coordinator's inbox, and each
/// referral with its timeline and the steps the reader may take. Every decision is the policy's.
struct ReferralPages {
    let renderer: PageRenderer
    let referrals: ReferralStore
    let directory: any ProgrammeDirectory
    let privacy: Privacy
    let notices: NoticeStore
    let useCases: UseCases

    func register(on routes: RouteRegistrar) {
        routes.get("/referrals") { request, context in try await list(request, context) }
        routes.get("/referrals/new") { request, context in try await newForm(request, context) }
        routes.post("/referrals") { request, context in try await create(request, context) }
    }

    private func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (actor, _) = try context.pageAccess({ _ in .listReferrals }) else { return .redirect(to: "/sign-in", type: .normal) }
        let labels = ReferralLabels(catalogue: renderer.catalogue(for: request))
        let visibility = ReferralVisibility(actor)
        var values: [String: Any] = ["canCreate": AccessPolicy.decide(actor, .createReferral(referringOrganisation: actor.organisationID)).isAllowed]
        if visibility.referringOrganisation != nil {
            let ours = try await referrals.list(ReferralFilter(referringOrganisationID: actor.organisationID, limit: 100), actingFor: actor)
            let news = try await notices.unreadReferrals(for: actor)
            values["ours"] = ours.map { referral in
                var row = labels.row(referral)
                row["news"] = news.contains(referral.id)
                return row
            }
            // What waits on the caseworker: drafts to send, and referrals with news they have not read.
            values["waitsOnYou"] = ours.filter { $0.state == .draft || news.contains($0.id) }.map(labels.row)
        }
        if !visibility.programmes.isEmpty {
            let queue = CoordinatorQueue(request.uri.queryParameters, programmes: try await coordinatedProgrammes(actor))
            let found = try await referrals.list(queue.filter, actingFor: actor, visibility: visibility.programmeSide)
            values["queue"] = found.map(labels.row)
            values["queueFilter"] = queue.choices(labels)
            values["coordinates"] = true
        }
        return renderer.page("referrals", titleKey: "referral.list.title", values: values, request: request, identity: context.identity)
    }

    private func coordinatedProgrammes(_ actor: Actor) async throws -> [Programme] {
        try await directory.listedProgrammes().filter { actor.coordinatedProgrammes.contains($0.id) }
    }

    private func newForm(
        _ request: Request, _ context: AppRequestContext, form: NewReferralForm? = nil, intake: ClientIntakeForm? = nil, error: String? = nil,
        duplicate: Bool = false, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let (actor, session) = try context.pageAccess({ .createReferral(referringOrganisation: $0.organisationID) }) else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        let catalogue = renderer.catalogue(for: request)
        let labels = ReferralLabels(catalogue: catalogue)
        let places = try await referrals.places(actingFor: actor)
        let programmes = try await directory.listedProgrammes().filter { $0.status == .open }.map { programme in
            labels.programmeChoice(programme, places: places[programme.id], selected: form?.programme == programme.id.uuidString.lowercased())
        }
        // The browser's own type-ahead over every municipality, without JavaScript; the server reads names and codes.
        let municipalities = try await referrals.municipalities().map { municipality -> [String: Any] in
            ["value": municipality.name, "label": ([municipality.code] + municipality.otherNames).joined(separator: " · ")]
        }
        func choices<Code: RawRepresentable & CaseIterable>(_ codes: Code.Type, _ group: String, selected: String?) -> [[String: Any]]
        where Code.RawValue == String {
            codes.allCases.map { ["value": $0.rawValue, "label": catalogue.text("privacy.consent.\(group).\($0.rawValue)"), "selected": selected == $0.rawValue] }
        }
        let values: [String: Any] = [
            "identityFields": ClientIntakeForm.fields(intake) { catalogue.text($0) }, "duplicate": duplicate,
            "consent": [
                "referral": intake.map { $0.consent_referral == "yes" } ?? true, "identity": intake.map { $0.consent_identity == "yes" } ?? true,
                "contact": intake?.consent_contact == "yes", "safety": intake?.consent_safety == "yes",
            ],
            "grantors": choices(ConsentGrantor.self, "grantors", selected: intake?.consent_grantor),
            "evidences": choices(ConsentEvidence.self, "evidences", selected: intake?.consent_evidence),
            "legalBases": choices(LegalBasis.self, "legal_bases", selected: intake?.consent_legal_basis),
            "consentObtained": intake?.consent_obtained_on ?? WallClock.current.today(), "consentUntil": intake?.consent_valid_until ?? "",
            "csrf": session.record.csrfToken, "programmes": programmes, "municipalities": municipalities, "error": error as Any,
            "targetGroups": labels.options(TargetGroup.allCases, selected: [form?.target_group]),
            "ageBands": AgeBand.allCases.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": form?.age_band == $0.rawValue] },
            "needs": labels.options(ReferralNeed.allCases, selected: form?.needs ?? []),
            "urgencies": labels.options(ReferralUrgency.allCases, selected: [form?.urgency ?? ReferralUrgency.routine.rawValue]),
            "overrideReasons": labels.options(EligibilityOverrideReason.allCases, selected: [form?.override_reason]),
            "requestedStart": form?.requested_start ?? "", "municipality": form?.municipality ?? "",
            // Sent back with the form: a second press of the button, or a resent form, files nothing twice.
            "formKey": form?.form_key ?? UUID().uuidString.lowercased(),
        ]
        return renderer.page("referral-new", titleKey: "referral.new.title", values: values, request: request, identity: context.identity, status: status)
    }

    struct NewReferralForm: AntiForgeryForm {
        let programme: String?
        let target_group: String?
        let age_band: String?
        let municipality: String?
        let needs: [String]?
        let urgency: String?
        let requested_start: String?
        let override_reason: String?
        let intent: String?
        let form_key: String?
        let csrf_token: String

        /// What makes two submissions of the form the same request.
        var canonical: [String] {
            [programme, target_group, age_band, municipality, urgency, requested_start, override_reason, intent].map { $0 ?? "" }
                + (needs ?? []).sorted()
        }
    }

    private func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(NewReferralForm.self, from: request, session: context.identity.session)
        let intake = try await Forms.decode(ClientIntakeForm.self, from: request)
        guard let (actor, _) = try context.pageAccess({ .createReferral(referringOrganisation: $0.organisationID) }) else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        let labels = ReferralLabels(catalogue: renderer.catalogue(for: request))
        guard let programme = form.programme.flatMap(UUID.init(uuidString:)),
            let targetGroup = form.target_group.flatMap(TargetGroup.init(rawValue:)),
            let ageBand = form.age_band.flatMap(AgeBand.init(rawValue:)),
            let urgency = form.urgency.flatMap(ReferralUrgency.init(rawValue:)),
            let municipality = form.municipality, !municipality.isEmpty
        else {
            return try await newForm(
                request, context, form: form, intake: intake, error: labels.text("referral.error.incomplete"), status: .unprocessableContent)
        }
        let start = form.requested_start.flatMap { $0.isEmpty ? nil : $0 }
        if let start, !CalendarDay.isValid(start) {
            return try await newForm(
                request, context, form: form, intake: intake, error: labels.text("referral.error.date"), status: .unprocessableContent)
        }
        let key = try form.form_key.flatMap { $0.isEmpty || $0.count > 200 ? nil : $0 }
            .map { try IdempotencyKey(key: $0, operation: "create-referral-form", request: form.canonical) }
        // A resent form goes to the referral it made the first time, before anyone is warned of a duplicate.
        if let key, let id = try await referrals.storedAnswer(for: key, by: actor) {
            return .redirect(to: "/referrals/\(id)", type: .normal)
        }
        let new = NewReferral(
            clientID: UUID(), programmeID: programme, targetGroup: targetGroup, ageBand: ageBand, municipality: municipality,
            needs: Array(Set((form.needs ?? []).compactMap(ReferralNeed.init(rawValue:)))).sorted { $0.rawValue < $1.rawValue },
            urgency: urgency, requestedStart: start, submit: form.intent != "draft",
            overrideReason: form.override_reason.flatMap(EligibilityOverrideReason.init(rawValue:)))
        func again(_ error: String?, duplicate: Bool = false, status: HTTPResponse.Status = .unprocessableContent) async throws -> Response {
            try await newForm(request, context, form: form, intake: intake, error: error, duplicate: duplicate, status: status)
        }
        do {
            let outcome = try await useCases.intakeReferral.run(
                intake.identity, consent: intake.consent(organisation: actor.organisationID, programme: programme, today: WallClock.current.today()),
                referral: new, confirmedNotDuplicate: intake.confirm_duplicate == "yes", by: actor, idempotency: key
            ) { (303, $0.id.uuidString.lowercased()) }
            switch outcome {
            case .done(let referral): return .redirect(to: "/referrals/\(referral.id.uuidString.lowercased())", type: .normal)
            case .replayed(_, let id): return .redirect(to: "/referrals/\(id)", type: .normal)
            }
        } catch let failure as Failure where failure.code == IntakeReferral.possibleDuplicate {
            return try await again(nil, duplicate: true)
        } catch let failure as Failure {
            return try await again(labels.catalogue.message(failure), status: HTTPResponse.Status(failure.kind))
        }
    }
}
