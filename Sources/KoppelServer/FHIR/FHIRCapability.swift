import Foundation

/// What the FHIR door implements, in one table: the routes are registered from it and the CapabilityStatement is
/// written from it, so the statement lists exactly what is there.
enum FHIRCapability {
    struct SearchParameter {
        let name: String
        let type: String
    }

    struct Resource {
        let type: String
        let interactions: [String]
        let searchParameters: [SearchParameter]
    }

    private static func parameters(_ pairs: [(String, String)]) -> [SearchParameter] {
        pairs.map { SearchParameter(name: $0.0, type: $0.1) }
    }

    static let resources: [Resource] = [
        Resource(
            type: "ServiceRequest", interactions: ["read", "search-type", "create"],
            searchParameters: parameters([
                ("status", "token"), ("subject", "reference"), ("performer", "reference"), ("identifier", "token"), ("_lastUpdated", "date"),
            ])),
        Resource(
            type: "Task", interactions: ["read", "search-type", "update"],
            searchParameters: parameters([("status", "token"), ("owner", "reference"), ("focus", "reference"), ("_lastUpdated", "date")])),
        Resource(
            type: "Consent", interactions: ["read", "search-type", "create"],
            searchParameters: parameters([("patient", "reference"), ("status", "token")])),
        Resource(type: "Patient", interactions: ["read", "search-type"], searchParameters: parameters([("_id", "token"), ("identifier", "token")])),
        Resource(
            type: "HealthcareService", interactions: ["read", "search-type"],
            searchParameters: parameters([("_id", "token"), ("name", "string"), ("active", "token"), ("organization", "reference")])),
        Resource(type: "Organization", interactions: ["read", "search-type"], searchParameters: parameters([("_id", "token"), ("name", "string")])),
    ]

    static func statement(publicURL: String) -> FHIRResource {
        [
            "resourceType": "CapabilityStatement", "status": "active", "date": "2026-12-06", "kind": "instance",
            "publisher": "Koppel", "fhirVersion": "4.0.1", "format": ["application/fhir+json"],
            "software": ["name": "Koppel"],
            "implementation": ["description": "Koppel referral hub", "url": publicURL + FHIRDoor.base],
            "rest": [[
                "mode": "server",
                "security": [
                    "cors": false,
                    "description": "Bearer API tokens ('Authorization: Bearer …') from Koppel's account pages; the same access policy and row-level security as the JSON API.",
                ] as [String: Any],
                "resource": resources.map { resource -> [String: Any] in
                    var entry: [String: Any] = [
                        "type": resource.type,
                        "interaction": resource.interactions.map { ["code": $0] },
                        "searchParam": resource.searchParameters.map { ["name": $0.name, "type": $0.type] },
                        "versioning": "versioned",
                    ]
                    if resource.interactions.contains("create") { entry["conditionalCreate"] = resource.type == "ServiceRequest" }
                    if resource.interactions.contains("update") { entry["updateCreate"] = false; entry["conditionalUpdate"] = false }
                    return entry
                },
            ] as [String: Any]],
        ]
    }
}
