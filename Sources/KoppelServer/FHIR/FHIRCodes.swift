import KoppelCore

/// Koppel's code systems and extensions in FHIR resources: one namespace, the same on every installation, so a
/// partner's mapping holds wherever Koppel runs.
enum FHIRCodes {
    static let base = "https://koppel.nl/fhir"
    static func system(_ name: String) -> String { "\(base)/CodeSystem/\(name)" }
    static func extensionURL(_ name: String) -> String { "\(base)/StructureDefinition/\(name)" }

    static let targetGroup = system("target-group")
    static let need = system("need")
    static let referralState = system("referral-state")
    static let referralReason = system("referral-reason")
    static let municipality = system("municipality")
    static let programme = system("programme")
    static let purpose = system("consent-purpose")
    static let dataClass = system("data-class")
    static let legalBasis = system("legal-basis")
    static let failure = system("failure")
    static let referralReference = system("referral-reference")
    static let clientID = system("client-id")

    static let ageBand = extensionURL("age-band")
    static let eligibilityOverride = extensionURL("eligibility-override-reason")
    static let consentOverride = extensionURL("consent-override-reason")
    static let forwardTo = extensionURL("forward-to")
    static let consentEvidence = extensionURL("consent-evidence")
    static let freePlaces = extensionURL("free-places")

    /// A CodeableConcept with one coding of ours, and its words.
    static func concept(_ system: String, _ code: String, _ text: String? = nil) -> [String: Any] {
        var concept: [String: Any] = ["coding": [["system": system, "code": code]]]
        if let text { concept["text"] = text }
        return concept
    }

    static func reference(_ type: String, _ id: some CustomStringConvertible, display: String? = nil) -> [String: Any] {
        var reference: [String: Any] = ["reference": "\(type)/\(id.description.lowercased())"]
        if let display { reference["display"] = display }
        return reference
    }
}

/// Urgency as FHIR `ServiceRequest.priority`: routine, urgent, asap (stat is not used).
extension ReferralUrgency {
    var fhirPriority: String {
        switch self {
        case .routine: "routine"
        case .soon: "urgent"
        case .urgent: "asap"
        }
    }

    init?(fhirPriority: String) {
        guard let urgency = Self.allCases.first(where: { $0.fhirPriority == fhirPriority }) else { return nil }
        self = urgency
    }
}

/// A referral's state as FHIR `ServiceRequest.status`: what the partner's request has become.
extension ReferralState {
    var serviceRequestStatus: String {
        switch self {
        case .draft: "draft"
        case .submitted, .waitlisted, .accepted, .active: "active"
        case .completed: "completed"
        case .declined, .withdrawn, .forwarded, .ended: "revoked"
        }
    }
}
