import Foundation

/// The official HSDS 3.0 schema of a service (Open Referral's `service_with_definitions.json`, CC BY-SA 4.0; the
/// same rules as the compiled `service.json`, written with `$ref`s so it is small enough to ship), checked by the
/// JSON Schema subset Koppel's contract already uses (`ContractSchema`: type, required, enum, items, properties, uuid).
struct HSDSSchema: @unchecked Sendable {  // read-only after init
    let service: [String: Any]
    let organization: [String: Any]
    let definitions: [String: Any]

    static func bundled() throws -> HSDSSchema {
        guard let url = Bundle.module.url(forResource: "hsds-3.0-service-with-definitions", withExtension: "json", subdirectory: "Data") else {
            throw CatalogueError.missing("Data/hsds-3.0-service-with-definitions.json")
        }
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        let definitions = document["definitions"] as? [String: Any] ?? [:]
        return HSDSSchema(service: document, organization: definitions["organization"] as? [String: Any] ?? [:], definitions: definitions)
    }

    /// What breaks the schema in one record, named by the record's own field (its top-level key) and the reason.
    func violations(of record: [String: Any], against schema: [String: Any]) -> [(field: String, reason: String)] {
        var found: [(field: String, reason: String)] = []
        for key in (schema["required"] as? [String] ?? []) where record[key] == nil || record[key] is NSNull {
            found.append((key, "is required by HSDS 3.0"))
        }
        let properties = schema["properties"] as? [String: Any] ?? [:]
        for (key, value) in record.sorted(by: { $0.key < $1.key }) {
            guard let property = properties[key] as? [String: Any] else { continue }
            for violation in ContractSchema(node: property, definitions: definitions, patterns: [:]).violations(of: JSONValue(foundation: value), at: "/" + key) {
                found.append((key, violation.message))
            }
        }
        return found
    }
}
