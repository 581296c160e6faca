import Foundation

/// An organisation from another HSDS publisher, as Koppel keeps it: keyed by its id at that publisher.
public struct ImportedOrganisation: Sendable, Hashable {
    public var hsdsID: UUID
    public var name: String
    public var description: String
    public var website: String?

    public init(hsdsID: UUID, name: String, description: String, website: String?) {
        self.hsdsID = hsdsID
        self.name = name
        self.description = description
        self.website = website
    }
}

/// A service from another HSDS publisher, as Koppel keeps it: a directory programme, keyed by its id there.
/// Texts are the publisher's (taken as Dutch); Koppel's own status is decided by `ImportedStatus`, not copied.
public struct ImportedService: Sendable, Hashable {
    public var hsdsID: UUID
    public var organisationHSDSID: UUID
    public var name: String
    public var hsdsStatus: String
    public var description: String
    public var eligibility: String?
    public var applicationProcess: String?
    public var minimumAge: Int?
    public var maximumAge: Int?
    public var serviceAreas: [ServiceArea]
    public var languages: [String]
    public var website: String?

    public init(
        hsdsID: UUID, organisationHSDSID: UUID, name: String, hsdsStatus: String, description: String, eligibility: String?,
        applicationProcess: String?, minimumAge: Int?, maximumAge: Int?, serviceAreas: [ServiceArea], languages: [String], website: String?
    ) {
        self.hsdsID = hsdsID
        self.organisationHSDSID = organisationHSDSID
        self.name = name
        self.hsdsStatus = hsdsStatus
        self.description = description
        self.eligibility = eligibility
        self.applicationProcess = applicationProcess
        self.minimumAge = minimumAge
        self.maximumAge = maximumAge
        self.serviceAreas = serviceAreas
        self.languages = languages
        self.website = website
    }
}

/// What is wrong with one record of a file to import: which record, which field, why.
public struct ImportRecordError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The record's id as the file gives it (or its place in the file when it has none).
    public var record: String
    public var field: String
    public var reason: String

    public init(record: String, field: String, reason: String) {
        self.record = record
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(record) \(field): \(reason)" }
}

/// The status an imported service gets in Koppel. An import lists a service but never opens it for referrals: no
/// coordinator of Koppel's stands behind it yet, so a hub-admin opens it (decision 0018). A publisher that withdraws
/// a service (`inactive`, `defunct`) closes it; one that brings it back makes it listed-but-paused again.
public enum ImportedStatus {
    public static func status(publisher hsdsStatus: String, current: ProgrammeStatus?) -> ProgrammeStatus {
        if ["inactive", "defunct"].contains(hsdsStatus) { return .closed }
        guard let current, current != .closed else { return .paused }
        return current
    }
}
