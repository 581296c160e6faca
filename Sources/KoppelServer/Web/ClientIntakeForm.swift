import Foundation
import KoppelCore

/// The client and consent parts of the new-referral form: who the client is and what they agreed to.
struct ClientIntakeForm: Decodable {
    let client_name: String?
    let client_birth_date: String?
    let client_gender: String?
    let client_nationality: String?
    let client_languages: String?
    let client_phone: String?
    let client_email: String?
    let client_address: String?
    let client_safety_notes: String?
    let client_notes: String?
    let consent_referral: String?
    let consent_identity: String?
    let consent_contact: String?
    let consent_safety: String?
    let consent_grantor: String?
    let consent_evidence: String?
    let consent_legal_basis: String?
    let consent_obtained_on: String?
    let consent_valid_until: String?
    let confirm_duplicate: String?

    var identity: ClientIdentity {
        let values: [IdentityField: String?] = [
            .name: client_name, .birthDate: client_birth_date, .gender: client_gender, .nationality: client_nationality,
            .languages: client_languages, .phone: client_phone, .email: client_email, .address: client_address,
            .safetyNotes: client_safety_notes, .notes: client_notes,
        ]
        return ClientIdentity(values.compactMapValues { $0 }).cleaned
    }

    /// The consent as the form states it: the referring organisation may do everything it needs; the programme may
    /// process the referral, and see identity, contact details or safety notes as ticked. Nil without the
    /// client's agreement to the referral itself.
    func consent(organisation: UUID, programme: UUID, today: String) -> NewConsent? {
        guard consent_referral == "yes" else { return nil }
        func programmePermit(_ purpose: ConsentPurpose, _ dataClass: DataClass) -> ConsentProvision {
            ConsentProvision(kind: .permit, actor: .programme(programme), purposes: [purpose], dataClasses: [dataClass])
        }
        // Processing the referral shows no data by itself (reveal asks for share_identity or contact).
        var provisions = [
            ConsentProvision(
                kind: .permit, actor: .organisation(organisation), purposes: Set(ConsentPurpose.allCases), dataClasses: Set(DataClass.allCases)),
            programmePermit(.referral, .identity),
        ]
        if consent_identity == "yes" { provisions.append(programmePermit(.shareIdentity, .identity)) }
        if consent_safety == "yes" { provisions.append(programmePermit(.shareIdentity, .safety)) }
        if consent_contact == "yes" { provisions.append(programmePermit(.contact, .contact)) }
        let obtained = consent_obtained_on.flatMap { $0.isEmpty ? nil : $0 } ?? today
        return NewConsent(
            grantor: consent_grantor.flatMap(ConsentGrantor.init(rawValue:)) ?? .client, obtainedOn: obtained,
            evidence: consent_evidence.flatMap(ConsentEvidence.init(rawValue:)) ?? .verbal,
            legalBasis: consent_legal_basis.flatMap(LegalBasis.init(rawValue:)) ?? .explicitConsent, validFrom: obtained,
            validUntil: consent_valid_until.flatMap { $0.isEmpty ? nil : $0 }, provisions: provisions)
    }

    /// What the form shows: each identity field with its label and the value typed so far.
    static func fields(_ form: ClientIntakeForm?, text: (String) -> String) -> [[String: Any]] {
        IdentityField.allCases.map { field in
            [
                "name": field.rawValue, "label": text("privacy.client.\(field.rawValue)"), "max": field.maximumLength,
                "long": field == .safetyNotes || field == .notes, "required": field == .name || field == .birthDate,
                "type": field == .birthDate ? "date" : field == .email ? "email" : field == .phone ? "tel" : "text",
                "value": form?.identity.values[field] ?? "",
            ]
        }
    }
}
