import Foundation

/// A support programme in the directory: who runs it, for whom, where, and how long.
/// Field names follow the Open Referral HSDS `service` where one exists.
public struct Programme: Sendable, Hashable, Identifiable {
    public var id: UUID
    /// A stable, human-readable key (`2go`, `pimenta`) used by the demo data and in URLs of other systems.
    public var slug: String
    public var name: String
    public var description: LocalizedText
    public var status: ProgrammeStatus
    public var operatorOrganisation: OrganisationSummary
    public var eligibility: Eligibility
    public var serviceAreas: [ServiceArea]
    /// ISO 639-1 codes of the languages the programme can work in.
    public var languages: [String]
    public var typicalDurationMonths: Int?
    public var applicationProcess: LocalizedText?
    public var website: String?
    /// Places in total; nil when the programme has no limit. Places in use follow from referrals.
    public var placesTotal: Int?
    /// Its deadlines, in working days of its operator's country.
    public var responseTerms: ResponseTerms
    /// When its entry last changed, where the directory knows it.
    public var updatedAt: Date?

    public init(
        id: UUID, slug: String, name: String, description: LocalizedText, status: ProgrammeStatus,
        operatorOrganisation: OrganisationSummary, eligibility: Eligibility, serviceAreas: [ServiceArea],
        languages: [String], typicalDurationMonths: Int?, applicationProcess: LocalizedText?, website: String?,
        placesTotal: Int? = nil, responseTerms: ResponseTerms = ResponseTerms(country: .netherlands)
    ) {
        self.responseTerms = responseTerms
        self.id = id
        self.slug = slug
        self.name = name
        self.description = description
        self.status = status
        self.operatorOrganisation = operatorOrganisation
        self.eligibility = eligibility
        self.serviceAreas = serviceAreas
        self.languages = languages
        self.typicalDurationMonths = typicalDurationMonths
        self.applicationProcess = applicationProcess
        self.website = website
        self.placesTotal = placesTotal
    }
}

/// Whether a programme takes referrals. Maps onto HSDS service status.
public enum ProgrammeStatus: String, CaseIterable, Sendable, Codable {
    case open
    case paused
    case closed

    /// The HSDS `service.status` value for this status.
    public var hsdsStatus: String {
        switch self {
        case .open: "active"
        case .paused: "temporarily closed"
        case .closed: "inactive"
        }
    }
}

/// The organisation that runs a programme, as shown beside it.
public struct OrganisationSummary: Sendable, Hashable {
    public var id: UUID
    public var name: String
    public var website: String?

    public init(id: UUID, name: String, website: String?) {
        self.id = id
        self.name = name
        self.website = website
    }
}

/// Where a programme works: a municipality, a region or a country. HSDS `service_area`.
public struct ServiceArea: Sendable, Hashable, Codable {
    public enum Extent: String, Sendable, Codable, CaseIterable {
        case municipality, region, country
    }

    public var name: String
    public var extent: Extent

    public init(name: String, extent: Extent) {
        self.name = name
        self.extent = extent
    }
}

/// Who a programme may take in. The structured rules are what submission checks; the description is what people read.
public struct Eligibility: Sendable, Hashable {
    public var minimumAge: Int?
    public var maximumAge: Int?
    public var targetGroups: [TargetGroup]
    public var description: LocalizedText?

    public init(minimumAge: Int?, maximumAge: Int?, targetGroups: [TargetGroup], description: LocalizedText?) {
        self.minimumAge = minimumAge
        self.maximumAge = maximumAge
        self.targetGroups = targetGroups
        self.description = description
    }
}
