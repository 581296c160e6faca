/// A municipality, the names it goes by and the places it lies in: what a programme's service areas are matched
/// against. `names` and `places` are folded (`PlaceName.folded`).
public struct Municipality: Sendable, Hashable {
    /// CBS code (`GM0153`) or NIS code (`21004`).
    public var code: String
    public var name: String
    /// The statistical region: COROP region (NL) or arrondissement (BE).
    public var region: String
    public var country: String
    /// Its official and alternative names.
    public var names: Set<String>
    /// Every region (province, COROP, labour-market region, …), country and named area it lies in.
    public var places: Set<String>

    public init(code: String, name: String, region: String, country: String, names: Set<String> = [], places: Set<String> = []) {
        self.code = code
        self.name = name
        self.region = region
        self.country = country
        self.names = names.union([PlaceName.folded(name)])
        self.places = places.union([PlaceName.folded(region), PlaceName.folded(country)])
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
    /// Whether the area takes in the municipality, by any of its names (a municipality by name or code, a region or
    /// named area by name, a country by name).
    public func covers(_ municipality: Municipality) -> Bool {
        let wanted = PlaceName.folded(name)
        return switch extent {
        case .municipality: municipality.names.contains(wanted) || PlaceName.code(name) == municipality.code
        case .region: municipality.places.contains(wanted)
        case .country: PlaceName.folded(municipality.country) == wanted
        }
    }
}
