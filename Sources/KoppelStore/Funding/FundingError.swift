import Foundation

/// Why an area or a funding agreement could not be made, changed or removed. The use cases' failure table gives each
/// its status and words.
public enum FundingError: Error, Sendable, Equatable {
    case areaNotFound
    case agreementNotFound
    /// An agreement names an area that does not exist.
    case unknownArea
    case invalidAreaName
    case areaNameTaken(String)
    case descriptionTooLong
    case noMembers
    case tooManyMembers(Int)
    /// Members that name no municipality or region: the text as given, and its line on the page's form when it came from one.
    case unknownPlaces([UnknownPlace])
    /// The area is still used: by this many agreements, and by programmes' service areas of these names.
    case areaInUse(agreements: Int, programmes: [String])
    /// Renaming the area would take it out of these programmes' service areas, which name it.
    case areaNamedByProgrammes([String])
    /// A month that is not written `YYYY-MM`, by its field.
    case invalidMonth(field: String)
    case monthsOutOfOrder
    case unknownFunder
    case unknownProgramme
    case invalidBudget
    case invalidTargetPlaces
    case referenceTooLong
    /// The area or agreement changed since the caller read it; it is now at `current`.
    case versionMismatch(current: Int)
}

/// A line of an area's members that names nothing Koppel knows, or more than one place.
public struct UnknownPlace: Sendable, Equatable {
    /// The line on the form (from 1), or nil for a code the API was sent.
    public var line: Int?
    public var text: String
    /// The places it could mean, when the name is ambiguous (`Bergen (GM0373)`).
    public var candidates: [String]

    public init(line: Int?, text: String, candidates: [String] = []) {
        self.line = line
        self.text = text
        self.candidates = candidates
    }
}
