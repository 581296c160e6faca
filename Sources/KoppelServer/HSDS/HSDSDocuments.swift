/// The HSDS 3.0 documents Koppel publishes, field for field as the compiled schemas name them. Fields Koppel has no
/// value for are left out, never sent empty.
enum HSDS {
    static let version = "3.0"

    struct Root: Encodable {
        let version: String
        let openapiURL: String

        enum CodingKeys: String, CodingKey {
            case version
            case openapiURL = "openapi_url"
        }
    }

    struct Page<Item: Encodable>: Encodable {
        let totalItems: Int
        let totalPages: Int
        let pageNumber: Int
        let size: Int
        let firstPage: Bool
        let lastPage: Bool
        let empty: Bool
        let contents: [Item]

        enum CodingKeys: String, CodingKey {
            case totalItems = "total_items", totalPages = "total_pages", pageNumber = "page_number", size
            case firstPage = "first_page", lastPage = "last_page", empty, contents
        }
    }

    struct Service: Encodable {
        let id: String
        let organizationID: String
        let programID: String
        let name: String
        let description: String
        let url: String?
        let status: String
        let applicationProcess: String?
        let eligibilityDescription: String?
        let minimumAge: Int?
        let maximumAge: Int?
        let assuredDate: String?
        let lastModified: String
        let organization: Organization
        let program: Program
        // Only in a service's own document; a page lists services without their nested lists.
        var serviceAreas: [ServiceArea]?
        var languages: [Language]?
        var attributes: [Attribute]?

        enum CodingKeys: String, CodingKey {
            case id, organizationID = "organization_id", programID = "program_id", name, description, url, status
            case applicationProcess = "application_process", eligibilityDescription = "eligibility_description"
            case minimumAge = "minimum_age", maximumAge = "maximum_age", assuredDate = "assured_date", lastModified = "last_modified"
            case organization, program, serviceAreas = "service_areas", languages, attributes
        }
    }

    struct Organization: Encodable {
        let id: String
        let name: String
        let description: String
        let website: String?
        var programs: [Program]?
        var services: [ServiceSummary]?
    }

    /// A service named in its organisation's document.
    struct ServiceSummary: Encodable {
        let id: String
        let organizationID: String
        let name: String
        let description: String
        let status: String

        enum CodingKeys: String, CodingKey {
            case id, organizationID = "organization_id", name, description, status
        }
    }

    struct Program: Encodable {
        let id: String
        let organizationID: String
        let name: String
        let description: String

        enum CodingKeys: String, CodingKey {
            case id, organizationID = "organization_id", name, description
        }
    }

    struct ServiceArea: Encodable {
        let id: String
        let serviceID: String
        let name: String
        let description: String

        enum CodingKeys: String, CodingKey {
            case id, serviceID = "service_id", name, description
        }
    }

    struct Language: Encodable {
        let id: String
        let serviceID: String
        let name: String
        let code: String

        enum CodingKeys: String, CodingKey {
            case id, serviceID = "service_id", name, code
        }
    }

    struct Attribute: Encodable {
        let id: String
        let linkID: String
        let linkType: String
        let linkEntity: String
        let value: String?
        let taxonomyTerm: TaxonomyTerm

        enum CodingKeys: String, CodingKey {
            case id, linkID = "link_id", linkType = "link_type", linkEntity = "link_entity", value, taxonomyTerm = "taxonomy_term"
        }
    }

    struct TaxonomyTerm: Encodable {
        let id: String
        let code: String
        let name: String
        let description: String
        let taxonomy: String
        let language: String
    }
}
