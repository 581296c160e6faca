/// A client's age as a band: what referrals and statistics keep instead of a date of birth.
/// The bounds follow the programmes' own age limits (PIMENTA: 16 to 25).
public enum AgeBand: String, CaseIterable, Sendable, Codable {
    case under16 = "0-15"
    case from16to17 = "16-17"
    case from18to25 = "18-25"
    case from26to35 = "26-35"
    case from36to50 = "36-50"
    case from51to65 = "51-65"
    case over65 = "66+"

    public var lowest: Int {
        switch self {
        case .under16: 0
        case .from16to17: 16
        case .from18to25: 18
        case .from26to35: 26
        case .from36to50: 36
        case .from51to65: 51
        case .over65: 66
        }
    }

    public var highest: Int {
        switch self {
        case .under16: 15
        case .from16to17: 17
        case .from18to25: 25
        case .from26to35: 35
        case .from36to50: 50
        case .from51to65: 65
        case .over65: 120
        }
    }
}

/// What a client needs help with, coded so that programmes and statistics can count on it.
public enum ReferralNeed: String, CaseIterable, Sendable, Codable {
    case socialContact = "social_contact"
    case housing
    case safety
    case work
    case education
    case health
    case legal
    case finances
    case language

    public var catalogueKey: String { "referral.need.\(rawValue)" }
}

/// How soon the client needs the programme.
public enum ReferralUrgency: String, CaseIterable, Sendable, Codable {
    case routine, soon, urgent

    public var catalogueKey: String { "referral.urgency.\(rawValue)" }
}
