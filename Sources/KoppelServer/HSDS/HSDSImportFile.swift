import Foundation
import KoppelCore

/// A file from another HSDS publisher, read into the organisations and services Koppel keeps, or every error in it.
///
/// It holds `{"organizations": […], "services": […]}` (either may be left out), an HSDS page of services
/// (`{"contents": […]}`, as `/services` serves them) or a list of services. An organisation may nest its services, a
/// service its organisation. Each record is checked against the HSDS 3.0 schema and then against what Koppel needs
/// (a service's organisation, ages in whole years, web addresses); every error names the record's id, the field and
/// the reason. Any error refuses the whole file.
struct HSDSImportFile {
    var organisations: [ImportedOrganisation] = []
    var services: [ImportedService] = []

    static func read(_ data: Data, schema: HSDSSchema, languages: Set<String>) -> Result<HSDSImportFile, HSDSImportRefusal> {
        guard let json = try? JSONSerialization.jsonObject(with: data) else {
            return .failure(HSDSImportRefusal([ImportRecordError(record: "(file)", field: "(file)", reason: "is not JSON")]))
        }
        var reader = Reader(schema: schema, languages: languages)
        switch json {
        case let list as [Any]:
            reader.services(list, field: "(list)")
        case let object as [String: Any] where object["contents"] != nil:
            reader.services(object["contents"], field: "contents")
        case let object as [String: Any] where object["organizations"] != nil || object["services"] != nil:
            reader.organisations(object["organizations"])
            reader.services(object["services"], field: "services")
        default:
            reader.errors.append(.init(record: "(file)", field: "(file)",
                                       reason: "holds neither organizations nor services; give {\"organizations\": […], \"services\": […]} or an HSDS page"))
        }
        reader.checkOrganisationsKnown()
        if !reader.errors.isEmpty { return .failure(HSDSImportRefusal(reader.errors)) }
        if reader.file.organisations.isEmpty && reader.file.services.isEmpty {
            return .failure(HSDSImportRefusal([.init(record: "(file)", field: "(file)", reason: "lists no records")]))
        }
        return .success(reader.file)
    }

    private struct Reader {
        let schema: HSDSSchema
        let languages: Set<String>
        var file = HSDSImportFile()
        var errors: [ImportRecordError] = []
        private var organisationIDs: Set<UUID> = []
        private var serviceIDs: Set<UUID> = []

        init(schema: HSDSSchema, languages: Set<String>) {
            self.schema = schema
            self.languages = languages
        }

        mutating func organisations(_ value: Any?) {
            guard let value else { return }
            guard let records = value as? [Any] else {
                errors.append(.init(record: "(file)", field: "organizations", reason: "must be a list of organizations"))
                return
            }
            for (index, record) in records.enumerated() { organisation(record, place: "organizations[\(index)]") }
        }

        mutating func services(_ value: Any?, field: String) {
            guard let value else { return }
            guard let records = value as? [Any] else {
                errors.append(.init(record: "(file)", field: field, reason: "must be a list of services"))
                return
            }
            for (index, record) in records.enumerated() { service(record, place: "\(field)[\(index)]", organisation: nil) }
        }

        /// The record's id as the file gives it, or where it is in the file when it has none.
        private func name(_ record: [String: Any], _ place: String) -> String {
            (record["id"] as? String).map { String($0.prefix(60)) } ?? place
        }

        @discardableResult
        private mutating func organisation(_ value: Any, place: String) -> UUID? {
            guard let record = value as? [String: Any] else {
                errors.append(.init(record: place, field: "(record)", reason: "must be an object"))
                return nil
            }
            let recordName = name(record, place)
            var failed = report(schema.violations(of: record, against: schema.organization), recordName)
            var check = FieldCheck(record: record, recordName: recordName)
            let website = check.webAddress("website")
            let nameText = check.text("name", required: true)
            let description = check.text("description", required: true)
            errors += check.errors
            failed = failed || !check.errors.isEmpty
            guard !failed, let id = (record["id"] as? String).flatMap(UUID.init(uuidString:)) else { return nil }
            if organisationIDs.contains(id) {
                if !file.organisations.contains(where: { $0.hsdsID == id && $0.name == nameText && $0.description == description && $0.website == website }) {
                    errors.append(.init(record: recordName, field: "id", reason: "names two different organizations in this file"))
                }
            } else {
                organisationIDs.insert(id)
                file.organisations.append(ImportedOrganisation(hsdsID: id, name: nameText ?? "", description: description ?? "", website: website))
            }
            if let nested = record["services"] as? [Any] {
                for (index, service) in nested.enumerated() { self.service(service, place: "\(recordName).services[\(index)]", organisation: id) }
            }
            return id
        }

        private mutating func service(_ value: Any, place: String, organisation parent: UUID?) {
            guard let record = value as? [String: Any] else {
                errors.append(.init(record: place, field: "(record)", reason: "must be an object"))
                return
            }
            let recordName = name(record, place)
            var failed = report(schema.violations(of: record, against: schema.service), recordName)
            var nestedOrganisation: UUID?
            if let organisation = record["organization"] { nestedOrganisation = self.organisation(organisation, place: "\(recordName).organization") }
            var check = FieldCheck(record: record, recordName: recordName)
            let serviceName = check.text("name", required: true)
            let website = check.webAddress("url")
            let description = check.text("description", required: false)
            let eligibility = check.text("eligibility_description", required: false)
            let application = check.text("application_process", required: false)
            let minimum = check.age("minimum_age")
            let maximum = check.age("maximum_age")
            if let minimum, let maximum, minimum > maximum {
                check.fail("maximum_age", "is below minimum_age (\(minimum)); give the youngest age first")
            }
            let areas = check.serviceAreas()
            let languageCodes = check.languages(known: languages)
            let organisation = (record["organization_id"] as? String).flatMap(UUID.init(uuidString:)) ?? nestedOrganisation ?? parent
            if organisation == nil {
                check.fail("organization_id", "is needed: Koppel lists a service with the organization that runs it; give organization_id or a nested organization")
            }
            errors += check.errors
            failed = failed || !check.errors.isEmpty
            guard !failed, let id = (record["id"] as? String).flatMap(UUID.init(uuidString:)), let organisation else { return }
            guard !serviceIDs.contains(id) else {
                errors.append(.init(record: recordName, field: "id", reason: "is given to two services in this file"))
                return
            }
            serviceIDs.insert(id)
            file.services.append(ImportedService(
                hsdsID: id, organisationHSDSID: organisation, name: serviceName ?? "", hsdsStatus: record["status"] as? String ?? "active",
                description: description ?? "", eligibility: eligibility, applicationProcess: application, minimumAge: minimum,
                maximumAge: maximum, serviceAreas: areas, languages: languageCodes.isEmpty ? ["nl"] : languageCodes, website: website))
        }

        /// Every service's organisation is in the file (at the top, or nested).
        mutating func checkOrganisationsKnown() {
            for service in file.services where !organisationIDs.contains(service.organisationHSDSID) {
                errors.append(.init(
                    record: service.hsdsID.uuidString.lowercased(), field: "organization_id",
                    reason: "names an organization that is not in this file; add it under organizations"))
            }
        }

        /// Records the schema's violations; whether there were any.
        private mutating func report(_ violations: [(field: String, reason: String)], _ record: String) -> Bool {
            errors += violations.map { ImportRecordError(record: record, field: $0.field, reason: $0.reason) }
            return !violations.isEmpty
        }
    }
}

/// A file refused, with every error found in it.
struct HSDSImportRefusal: Error {
    let errors: [ImportRecordError]

    init(_ errors: [ImportRecordError]) { self.errors = errors }
}
