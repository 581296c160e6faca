import Foundation
import KoppelCore
import KoppelStore

/// A referral as FHIR R4 `ServiceRequest` (what is asked: the programme, for whom, why) and `Task` (where it stands),
/// following the closed-loop referral pattern of the HL7 Gravity SDOH Clinical Care IG. Both carry the referral's id.
enum FHIRReferrals {
    static func serviceRequest(_ referral: Referral, identifiers: [PartnerIdentifier]) -> FHIRResource {
        var resource: FHIRResource = [
            "resourceType": "ServiceRequest", "id": referral.id.uuidString.lowercased(), "meta": meta(referral),
            "identifier": identifierList(referral, identifiers),
            "status": referral.state.serviceRequestStatus, "intent": "order", "priority": referral.urgency.fhirPriority,
            "category": [FHIRCodes.concept(FHIRCodes.targetGroup, referral.targetGroup.rawValue)],
            "code": FHIRCodes.concept(FHIRCodes.programme, referral.programme.id.uuidString.lowercased(), referral.programme.name),
            "subject": FHIRCodes.reference("Patient", referral.clientID),
            "authoredOn": FHIRTime.string(referral.createdAt),
            "requester": FHIRCodes.reference("Organization", referral.referringOrganisation.id, display: referral.referringOrganisation.name),
            "performer": [FHIRCodes.reference("HealthcareService", referral.programme.id, display: referral.programme.name)],
            "locationCode": [FHIRCodes.concept(FHIRCodes.municipality, referral.municipality.code, referral.municipality.name)],
            "extension": extensions(referral),
        ]
        if !referral.needs.isEmpty { resource["reasonCode"] = referral.needs.map { FHIRCodes.concept(FHIRCodes.need, $0.rawValue) } }
        if let start = referral.requestedStart { resource["occurrencePeriod"] = ["start": start] }
        if let consent = referral.consentID { resource["supportingInfo"] = [FHIRCodes.reference("Consent", consent)] }
        if let original = referral.forwardedFrom { resource["replaces"] = [FHIRCodes.reference("ServiceRequest", original)] }
        return resource
    }

    static func task(_ referral: Referral, reason: ReferralReason?, identifiers: [PartnerIdentifier]) -> FHIRResource {
        let status = TaskStatus(referral.state)
        var resource: FHIRResource = [
            "resourceType": "Task", "id": referral.id.uuidString.lowercased(), "meta": meta(referral),
            "identifier": identifierList(referral, identifiers),
            "status": status.status, "businessStatus": FHIRCodes.concept(FHIRCodes.referralState, status.businessStatus),
            "intent": "order", "priority": referral.urgency.fhirPriority,
            "focus": FHIRCodes.reference("ServiceRequest", referral.id),
            "for": FHIRCodes.reference("Patient", referral.clientID),
            "authoredOn": FHIRTime.string(referral.createdAt), "lastModified": FHIRTime.string(referral.stateChangedAt),
            "requester": FHIRCodes.reference("Organization", referral.referringOrganisation.id, display: referral.referringOrganisation.name),
            "owner": FHIRCodes.reference("Organization", referral.operatorID),
        ]
        if let reason { resource["statusReason"] = FHIRCodes.concept(FHIRCodes.referralReason, reason.rawValue) }
        if let original = referral.forwardedFrom { resource["partOf"] = [FHIRCodes.reference("Task", original)] }
        return resource
    }

    static func meta(_ referral: Referral) -> [String: Any] {
        ["versionId": "\(referral.version)", "lastUpdated": FHIRTime.string(referral.stateChangedAt)]
    }

    private static func identifierList(_ referral: Referral, _ identifiers: [PartnerIdentifier]) -> [[String: Any]] {
        [["system": FHIRCodes.referralReference, "value": ReferralReference.short(referral.id)]]
            + identifiers.map { ["system": $0.system, "value": $0.value] }
    }

    private static func extensions(_ referral: Referral) -> [[String: Any]] {
        var list: [[String: Any]] = [["url": FHIRCodes.ageBand, "valueCode": referral.ageBand.rawValue]]
        if let reason = referral.overrideReason { list.append(["url": FHIRCodes.eligibilityOverride, "valueCode": reason.rawValue]) }
        if let reason = referral.consentOverrideReason { list.append(["url": FHIRCodes.consentOverride, "valueCode": reason.rawValue]) }
        return list
    }

    /// Where in a resource of `type` each field a use case names lives, so a refusal points at the element.
    static func elements(of type: String) -> [String: String] {
        switch type {
        case "Task":
            ["reason": "Task.statusReason", "target_programme_id": "Task.extension", "override_reason": "Task.extension"]
        case "Consent":
            [
                "provisions": "Consent.provision.provision", "obtained_on": "Consent.dateTime", "valid_from": "Consent.provision.period.start",
                "valid_until": "Consent.provision.period.end",
            ]
        default:
            [
                "programme_id": "ServiceRequest.performer", "municipality": "ServiceRequest.locationCode", "needs": "ServiceRequest.reasonCode",
                "client_id": "ServiceRequest.subject", "requested_start": "ServiceRequest.occurrencePeriod.start",
                "override_reason": "ServiceRequest.extension", "identifier": "ServiceRequest.identifier",
            ]
        }
    }
}

/// A partner's ServiceRequest read as a referral to file.
struct IncomingServiceRequest {
    var referral: NewReferral
    var identifier: PartnerIdentifier?

    init(_ input: FHIRInput) throws {
        let status = try input.requiredString("status")
        guard ["draft", "active"].contains(status) else {
            throw FHIRInvalid(kind: .value, path: "ServiceRequest.status", key: "unknown_code", arguments: ["system": "status", "codes": "draft, active"])
        }
        guard try input.requiredString("intent") == "order" else {
            throw FHIRInvalid(kind: .value, path: "ServiceRequest.intent", key: "unknown_code", arguments: ["system": "intent", "codes": "order"])
        }
        let client = try input.requiredReference("subject", to: ["Patient"]).id
        let performers = try input.objects("performer")
        guard performers.count == 1 else { throw FHIRInvalid(kind: .value, path: "ServiceRequest.performer", key: "one_performer") }
        let programme = try performers[0].referenced(["HealthcareService"]).id
        let categories = try input.objects("category")
        guard let targetGroup = try categories.lazy.compactMap({ try $0.code(in: FHIRCodes.targetGroup, known: TargetGroup.allCases.map(\.rawValue)) }).first
        else { throw FHIRInvalid(kind: .value, path: "ServiceRequest.category", key: "coding_missing", arguments: ["system": FHIRCodes.targetGroup]) }
        guard let ageBand = try input.extensionCode(FHIRCodes.ageBand, known: AgeBand.allCases.map(\.rawValue)) else {
            throw FHIRInvalid(kind: .value, path: "ServiceRequest.extension", key: "extension_missing", arguments: ["url": FHIRCodes.ageBand])
        }
        let locations = try input.objects("locationCode")
        guard locations.count == 1 else { throw FHIRInvalid(kind: .value, path: "ServiceRequest.locationCode", key: "one_location") }
        let municipality = try locations[0].objects("coding").first.flatMap { try $0.string("code") } ?? locations[0].requiredString("text")
        let needs = try input.objects("reasonCode").map { concept in
            guard let code = try concept.code(in: FHIRCodes.need, known: ReferralNeed.allCases.map(\.rawValue)) else {
                throw FHIRInvalid(kind: .value, path: "\(concept.path).coding", key: "coding_missing", arguments: ["system": FHIRCodes.need])
            }
            return code
        }
        let priority = try input.string("priority") ?? "routine"
        guard let urgency = ReferralUrgency(fhirPriority: priority) else {
            throw FHIRInvalid(kind: .value, path: "ServiceRequest.priority", key: "unknown_code", arguments: ["system": "priority", "codes": "routine, urgent, asap"])
        }
        let start = try input.object("occurrencePeriod")?.string("start")
        if let start, !CalendarDay.isValid(start) {
            throw FHIRInvalid(kind: .value, path: "ServiceRequest.occurrencePeriod.start", key: "date")
        }
        let override = try input.extensionCode(FHIRCodes.eligibilityOverride, known: EligibilityOverrideReason.allCases.map(\.rawValue))
        let consentOverride = try input.extensionCode(FHIRCodes.consentOverride, known: ConsentOverrideReason.allCases.map(\.rawValue))
        referral = NewReferral(
            clientID: client, programmeID: programme, targetGroup: TargetGroup(rawValue: targetGroup)!, ageBand: AgeBand(rawValue: ageBand)!,
            municipality: municipality, needs: needs.compactMap(ReferralNeed.init(rawValue:)), urgency: urgency, requestedStart: start,
            submit: status == "active", overrideReason: override.flatMap(EligibilityOverrideReason.init(rawValue:)),
            consentOverrideReason: consentOverride.flatMap(ConsentOverrideReason.init(rawValue:)))
        // Koppel's own reference is given out, not taken in; the first other identifier is the partner's.
        identifier = try input.objects("identifier").lazy.compactMap { element -> PartnerIdentifier? in
            guard let system = try element.string("system"), system != FHIRCodes.referralReference, let value = try element.string("value") else { return nil }
            return PartnerIdentifier(system: system, value: value)
        }.first
    }
}

/// A coordinator's (or referrer's) updated Task read as the step it asks for; nil when it asks for none.
struct IncomingTaskUpdate {
    var step: ReferralStepRequest?

    init(_ input: FHIRInput, current: Referral) throws {
        let status = try input.requiredString("status")
        let coded = try input.object("businessStatus")?.code(in: FHIRCodes.referralState, known: ReferralState.allCases.map(\.rawValue)) ?? ""
        // A business status left as it was read says nothing about the change asked for.
        let business = coded == current.state.rawValue ? "" : coded
        let change = TaskStatus(status: status, businessStatus: business).requestedAction(from: current.state)
        switch change {
        case .unchanged:
            step = nil
        case .unknown:
            throw FHIRInvalid(kind: .value, path: "Task.status", key: "task_status", arguments: ["status": status])
        case .step(let action):
            let reason = try input.object("statusReason")?.code(in: FHIRCodes.referralReason, known: ReferralReason.allCases.map(\.rawValue))
            var target: UUID?
            if let element = try input.extensionElement(FHIRCodes.forwardTo) {
                target = try element.requiredReference("valueReference", to: ["HealthcareService"]).id
            }
            let override = try input.extensionCode(FHIRCodes.eligibilityOverride, known: EligibilityOverrideReason.allCases.map(\.rawValue))
            step = ReferralStepRequest(
                action: action, reason: reason.flatMap(ReferralReason.init(rawValue:)), targetProgrammeID: target,
                overrideReason: override.flatMap(EligibilityOverrideReason.init(rawValue:)))
        }
    }
}
