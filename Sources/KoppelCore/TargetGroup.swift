/// The groups of people a programme is for. Coded, so that eligibility and statistics can count on them.
public enum TargetGroup: String, CaseIterable, Sendable, Codable {
    case humanTrafficking = "human_trafficking"
    case domesticViolence = "domestic_violence"
    case leavingProstitution = "leaving_prostitution"
    case asylumSeekers = "asylum_seekers"
    case statusHolders = "status_holders"
    case socialIsolation = "social_isolation"

    /// The key of this group's name in the UI catalogues.
    public var catalogueKey: String { "target_group.\(rawValue)" }
}
