import Foundation
import KoppelCore
import KoppelStore

/// The directory as FHIR R4: programmes as `HealthcareService` (with their service area as contained `Location`s),
/// organisations as `Organization`, and clients as a pseudonymous `Patient`.
enum FHIRDirectory {
    static func healthcareService(_ programme: Programme, places: ProgrammePlaces?, language: UILanguage) -> FHIRResource {
        let areas = programme.serviceAreas.enumerated().map { index, area -> [String: Any] in
            ["resourceType": "Location", "id": "area-\(index + 1)", "name": area.name, "mode": "kind",
             "physicalType": ["coding": [["system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "area"]]]]
        }
        var resource: FHIRResource = [
            "resourceType": "HealthcareService", "id": programme.id.uuidString.lowercased(),
            "meta": Self.meta(programme.updatedAt),
            "active": programme.status == .open, "name": programme.name,
            "comment": programme.description.text(in: language),
            "providedBy": FHIRCodes.reference("Organization", programme.operatorOrganisation.id, display: programme.operatorOrganisation.name),
            "program": [["text": programme.name]],
            "characteristic": programme.eligibility.targetGroups.map { FHIRCodes.concept(FHIRCodes.targetGroup, $0.rawValue) },
            "eligibility": [["code": ["text": "eligibility"], "comment": Self.eligibility(programme.eligibility, language: language)]],
            "communication": programme.languages.map { ["coding": [["system": "urn:ietf:bcp:47", "code": $0]]] },
            "appointmentRequired": true,
        ]
        if !areas.isEmpty {
            resource["contained"] = areas
            resource["coverageArea"] = areas.map { ["reference": "#\($0["id"]!)", "display": $0["name"]!] }
        }
        if let website = programme.website { resource["telecom"] = [["system": "url", "value": website]] }
        if let free = places?.placesFree { resource["extension"] = [["url": FHIRCodes.freePlaces, "valueUnsignedInt": free]] }
        return resource
    }

    private static func eligibility(_ eligibility: Eligibility, language: UILanguage) -> String {
        var parts: [String] = []
        if let description = eligibility.description?.text(in: language) { parts.append(description) }
        if let minimum = eligibility.minimumAge { parts.append("minimum age \(minimum)") }
        if let maximum = eligibility.maximumAge { parts.append("maximum age \(maximum)") }
        return parts.isEmpty ? "-" : parts.joined(separator: "; ")
    }

    /// Directory entries keep no versions: the version is when the entry last changed, which is also what an ETag needs.
    private static func meta(_ changed: Date?) -> [String: Any] {
        let changed = changed ?? Date(timeIntervalSince1970: 0)
        return ["versionId": String(Int(changed.timeIntervalSince1970)), "lastUpdated": FHIRTime.string(changed)]
    }

    static func organization(_ organisation: OrganisationStore.Organisation) -> FHIRResource {
        [
            "resourceType": "Organization", "id": organisation.id.uuidString.lowercased(),
            "meta": Self.meta(organisation.createdAt),
            "identifier": [["system": FHIRCodes.system("organisation-slug"), "value": organisation.slug]],
            "active": true, "name": organisation.name,
            "type": [FHIRCodes.concept(FHIRCodes.system("organisation-type"), organisation.type.rawValue)],
        ]
    }

    /// A client as FHIR sees them: Koppel's pseudonymous id, nothing else. Who the client is leaves Koppel only
    /// through the audited reveal.
    static func patient(_ id: UUID, registeredAt: Date?) -> FHIRResource {
        [
            "resourceType": "Patient", "id": id.uuidString.lowercased(),
            "meta": Self.meta(registeredAt),
            "identifier": [["system": FHIRCodes.clientID, "value": id.uuidString.lowercased()]],
        ]
    }
}
