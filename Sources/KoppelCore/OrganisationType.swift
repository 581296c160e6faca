/// What kind of organisation a referrer is: a breakdown funders ask for.
public enum OrganisationType: String, CaseIterable, Sendable, Codable {
    case civilSociety = "civil_society"
    case publicAuthority = "public_authority"
    case care
    case policeJustice = "police_justice"

    public var catalogueKey: String { "organisation_type.\(rawValue)" }
}
