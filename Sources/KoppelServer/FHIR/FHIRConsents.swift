import Foundation
import KoppelCore

/// A client's consent as FHIR R4 `Consent`: a base rule "deny" (nothing without consent) with one nested provision
/// per Koppel provision: permit or deny × actor (an Organization or a programme's HealthcareService) × purpose ×
/// data class × period.
enum FHIRConsents {
    static let scope = ["coding": [["system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"]]]
    static let category = ["coding": [["system": "http://loinc.org", "code": "59284-0"]]]
    static let recipientRole = ["coding": [["system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"]]]

    static func consent(_ consent: Consent, today: String) -> FHIRResource {
        let status = consent.status(on: today)
        var period: [String: Any] = ["start": consent.validFrom]
        if let until = consent.validUntil { period["end"] = until }
        let grantor: [String: Any] = consent.grantor == .client
            ? FHIRCodes.reference("Patient", consent.clientID) : ["display": "legal representative"]
        return [
            "resourceType": "Consent", "id": consent.id.uuidString.lowercased(),
            "meta": ["versionId": status == .active ? "1" : "2", "lastUpdated": FHIRTime.string(consent.withdrawnAt ?? Self.day(consent.obtainedOn))],
            "status": status == .active ? "active" : "inactive",
            "scope": scope, "category": [category],
            "patient": FHIRCodes.reference("Patient", consent.clientID),
            "dateTime": consent.obtainedOn, "performer": [grantor],
            "organization": [FHIRCodes.reference("Organization", consent.recordingOrganisation)],
            "policyRule": FHIRCodes.concept(FHIRCodes.legalBasis, consent.legalBasis.rawValue),
            "extension": [["url": FHIRCodes.consentEvidence, "valueCode": consent.evidence.rawValue]],
            "provision": [
                "type": "deny", "period": period,
                "provision": consent.provisions.map(provision),
            ] as [String: Any],
        ]
    }

    private static func provision(_ provision: ConsentProvision) -> [String: Any] {
        var element: [String: Any] = [
            "type": provision.kind.rawValue,
            "actor": [["role": recipientRole, "reference": actorReference(provision.actor)]],
            "purpose": provision.purposes.sorted { $0.rawValue < $1.rawValue }.map { ["system": FHIRCodes.purpose, "code": $0.rawValue] },
            "class": provision.dataClasses.sorted { $0.rawValue < $1.rawValue }.map { ["system": FHIRCodes.dataClass, "code": $0.rawValue] },
        ]
        if provision.from != nil || provision.until != nil {
            var period: [String: Any] = [:]
            if let from = provision.from { period["start"] = from }
            if let until = provision.until { period["end"] = until }
            element["period"] = period
        }
        return element
    }

    private static func actorReference(_ actor: ConsentActor) -> [String: Any] {
        switch actor {
        case .organisation(let id): FHIRCodes.reference("Organization", id)
        case .programme(let id): FHIRCodes.reference("HealthcareService", id)
        }
    }

    private static func day(_ text: String) -> Date {
        (try? Date(text + "T00:00:00Z", strategy: .iso8601)) ?? Date(timeIntervalSince1970: 0)
    }
}

/// A partner's consent record read as a Koppel consent, or refused where it says something Koppel cannot keep exactly:
/// a rule it would have to widen or drop is never guessed at.
struct IncomingConsent {
    var clientID: UUID
    var consent: NewConsent

    init(_ input: FHIRInput) throws {
        guard try input.requiredString("status") == "active" else {
            throw FHIRInvalid(kind: .value, path: "Consent.status", key: "unknown_code", arguments: ["system": "status", "codes": "active"])
        }
        clientID = try input.requiredReference("patient", to: ["Patient"]).id
        let obtained = try input.requiredString("dateTime")
        let obtainedOn = String(obtained.prefix(10))
        guard CalendarDay.isValid(obtainedOn) else { throw FHIRInvalid(kind: .value, path: "Consent.dateTime", key: "date") }
        let legalBasis = try input.requiredCode("policyRule", system: FHIRCodes.legalBasis, known: LegalBasis.allCases.map(\.rawValue))
        let evidence = try input.extensionCode(FHIRCodes.consentEvidence, known: ConsentEvidence.allCases.map(\.rawValue)) ?? ConsentEvidence.written.rawValue
        // The client grants, unless someone else is named (a RelatedPerson, or a performer with a name only).
        let grantors = try input.objects("performer")
        let grantor: ConsentGrantor = try grantors.isEmpty || grantors[0].string("reference")?.hasPrefix("Patient/") == true ? .client : .legalRepresentative
        let base = try input.requiredObject("provision")
        guard try base.requiredString("type") == "deny" else {
            throw FHIRInvalid(kind: .value, path: "Consent.provision.type", key: "base_deny")
        }
        let period = try base.object("period")
        let validFrom = try period?.string("start").map { String($0.prefix(10)) } ?? obtainedOn
        let validUntil = try period?.string("end").map { String($0.prefix(10)) }
        let rules = try base.objects("provision")
        guard !rules.isEmpty else { throw FHIRInvalid(kind: .value, path: "Consent.provision.provision", key: "required") }
        consent = NewConsent(
            grantor: grantor, obtainedOn: obtainedOn, evidence: ConsentEvidence(rawValue: evidence)!, legalBasis: LegalBasis(rawValue: legalBasis)!,
            validFrom: validFrom, validUntil: validUntil, provisions: try rules.map(Self.provision))
    }

    private static func provision(_ input: FHIRInput) throws -> ConsentProvision {
        guard let kind = ConsentProvision.Kind(rawValue: try input.requiredString("type")) else {
            throw FHIRInvalid(kind: .value, path: "\(input.path).type", key: "unknown_code", arguments: ["system": "type", "codes": "permit, deny"])
        }
        guard try input.objects("provision").isEmpty else { throw FHIRInvalid(kind: .value, path: "\(input.path).provision", key: "nested") }
        for unsupported in ["data", "code", "action", "securityLabel", "dataPeriod"] where input.values[unsupported] != nil {
            throw FHIRInvalid(kind: .value, path: "\(input.path).\(unsupported)", key: "unsupported")
        }
        let actors = try input.objects("actor")
        guard actors.count == 1 else { throw FHIRInvalid(kind: .value, path: "\(input.path).actor", key: "one_actor") }
        let (type, id) = try actors[0].requiredReference("reference", to: ["Organization", "HealthcareService"])
        let purposes = try codes(input, "purpose", system: FHIRCodes.purpose, as: ConsentPurpose.self)
        let classes = try codes(input, "class", system: FHIRCodes.dataClass, as: DataClass.self)
        let period = try input.object("period")
        return ConsentProvision(
            kind: kind, actor: type == "Organization" ? .organisation(id) : .programme(id), purposes: Set(purposes), dataClasses: Set(classes),
            from: try period?.string("start").map { String($0.prefix(10)) }, until: try period?.string("end").map { String($0.prefix(10)) })
    }

    /// Codings of ours, at least one; any other system cannot be mapped and is refused.
    private static func codes<Code: RawRepresentable & CaseIterable>(
        _ input: FHIRInput, _ key: String, system: String, as: Code.Type
    ) throws -> [Code] where Code.RawValue == String {
        let codings = try input.objects(key)
        guard !codings.isEmpty else { throw FHIRInvalid(kind: .value, path: "\(input.path).\(key)", key: "required") }
        return try codings.map { coding in
            guard try coding.string("system") == system, let code = try coding.string("code").flatMap(Code.init(rawValue:)) else {
                throw FHIRInvalid(
                    kind: .value, path: "\(coding.path)", key: "unknown_code",
                    arguments: ["system": system, "codes": Code.allCases.map(\.rawValue).joined(separator: ", ")])
            }
            return code
        }
    }
}
