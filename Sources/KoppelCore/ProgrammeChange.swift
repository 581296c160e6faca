import Foundation

/// A change to a programme's operational details; nil fields stay as they are. Places in use are never
/// typed in: they follow from referrals.
public struct ProgrammeChange: Sendable, Equatable {
    public var status: ProgrammeStatus?
    public var placesTotal: Int?
    public var minimumAge: Int?
    public var maximumAge: Int?
    public var targetGroups: [TargetGroup]?
    public var languages: [String]?
    public var typicalDurationMonths: Int?
    /// Its deadlines, in working days (`ResponseTerms`).
    public var responseDays: Int?
    public var startDays: Int?
    public var reviewDays: Int?
    public var description: [UILanguage: String] = [:]
    public var eligibility: [UILanguage: String] = [:]
    public var applicationProcess: [UILanguage: String] = [:]
    public var serviceAreas: [ServiceArea]?

    public init() {}

    /// What is wrong with the change, given the programme's present ages; empty when it can be made.
    public func problems(currentMinimumAge: Int?, currentMaximumAge: Int?) -> [String] {
        if self == ProgrammeChange() { return ["the change names no field to change"] }
        var problems: [String] = []
        if let places = placesTotal, !(0...100_000).contains(places) { problems.append("places_total must be from 0 to 100000") }
        for (name, age) in [("minimum_age", minimumAge), ("maximum_age", maximumAge)] {
            if let age, !(0...120).contains(age) { problems.append("\(name) must be from 0 to 120") }
        }
        if let minimum = minimumAge ?? currentMinimumAge, let maximum = maximumAge ?? currentMaximumAge, minimum > maximum {
            problems.append("minimum_age (\(minimum)) may not be above maximum_age (\(maximum))")
        }
        if let months = typicalDurationMonths, !(1...120).contains(months) { problems.append("typical_duration_months must be from 1 to 120") }
        for (name, days) in [("response_working_days", responseDays), ("start_working_days", startDays), ("review_working_days", reviewDays)] {
            if let days, !ResponseTerms.allowedDays.contains(days) {
                problems.append("\(name) must be from \(ResponseTerms.allowedDays.lowerBound) to \(ResponseTerms.allowedDays.upperBound)")
            }
        }
        if let languages {
            if languages.isEmpty { problems.append("languages needs at least one language") }
            if languages.contains(where: { $0.wholeMatch(of: /[a-z]{2}/) == nil }) { problems.append("languages are ISO 639-1 codes such as nl or en") }
        }
        if let areas = serviceAreas {
            if areas.isEmpty { problems.append("service_areas needs at least one area") }
            if areas.contains(where: { $0.name.trimmingCharacters(in: .whitespaces).isEmpty }) { problems.append("every service area needs a name") }
        }
        for (name, texts) in [("description", description), ("eligibility", eligibility), ("application_process", applicationProcess)] {
            if texts.values.contains(where: { $0.count > 4000 }) { problems.append("\(name) may have at most 4000 characters") }
        }
        if description[.dutch]?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true {
            problems.append("description_nl may not be empty")
        }
        return problems
    }
}
