/// A municipality and the region and country it lies in: what a programme's service areas are matched against.
public struct Municipality: Sendable, Hashable {
    public var name: String
    public var region: String
    public var country: String

    public init(name: String, region: String, country: String) {
        self.name = name
        self.region = region
        self.country = country
    }
}

/// A rule of a programme a referral does not meet. Named in the 422 answer and shown to the coordinator when
/// the caseworker overrides it.
public enum EligibilityRule: String, CaseIterable, Sendable, Codable, Hashable {
    case age, region, targetGroup = "target_group", programmeOpen = "programme_open"

    public var catalogueKey: String { "eligibility.rule.\(rawValue)" }
}

extension Programme {
    /// The rules a client with this age band, municipality and target group does not meet; empty when eligible.
    /// An age band counts only when it lies wholly within the programme's ages: a band that straddles a limit
    /// cannot show the client is eligible, and the caseworker can override with a reason.
    public func unmetRules(ageBand: AgeBand, municipality: Municipality, targetGroup: TargetGroup) -> [EligibilityRule] {
        var unmet: [EligibilityRule] = []
        if status != .open { unmet.append(.programmeOpen) }
        if let minimum = eligibility.minimumAge, ageBand.lowest < minimum { unmet.append(.age) }
        else if let maximum = eligibility.maximumAge, ageBand.highest > maximum { unmet.append(.age) }
        if !serviceAreas.contains(where: { $0.covers(municipality) }) { unmet.append(.region) }
        if !eligibility.targetGroups.isEmpty && !eligibility.targetGroups.contains(targetGroup) { unmet.append(.targetGroup) }
        return unmet
    }
}

extension ServiceArea {
    public func covers(_ municipality: Municipality) -> Bool {
        switch extent {
        case .municipality: name == municipality.name
        case .region: name == municipality.region
        case .country: name == municipality.country
        }
    }
}
