import Foundation

/// What a funder's report counts, per period. Flows count referrals that took a step in the period; the one
/// stock (`activeAtEnd`) counts those active on its last day. `answered` counts the programme's first answers to
/// referrals with a response time, split into those on or before the due day and those after it.
public enum StatisticsMeasure: String, CaseIterable, Sendable, Codable {
    case received, accepted, declined, waitlisted, withdrawn, forwarded
    case activeAtEnd = "active_at_end"
    case completed
    case endedEarly = "ended_early"
    case answered
    case answeredInTime = "answered_in_time"
    case answeredLate = "answered_late"

    /// The coded reasons a measure is broken down by: a declined or ended referral always has one.
    public var reasons: [ReferralReason] {
        switch self {
        case .declined: ReferralReason.allCases.filter { $0.action == .decline }
        case .endedEarly: ReferralReason.allCases.filter { $0.action == .end }
        default: []
        }
    }

    /// The measures this one splits into, each referral in exactly one. Published beside it, they add up to it as
    /// its reasons do, so disclosure control protects them as a line (else two shown figures could differ by a small count).
    public var parts: [StatisticsMeasure] {
        self == .answered ? [.answeredInTime, .answeredLate] : []
    }

    public var isStock: Bool { self == .activeAtEnd }
}

/// A column of a report: a measure, or one reason of it.
public struct StatisticsColumn: Sendable, Hashable, Codable {
    public let measure: StatisticsMeasure
    public let reason: ReferralReason?

    public init(_ measure: StatisticsMeasure, reason: ReferralReason? = nil) {
        self.measure = measure
        self.reason = reason
    }

    /// Every column, each measure followed by its reasons.
    public static let all: [StatisticsColumn] = StatisticsMeasure.allCases.flatMap { measure in
        [StatisticsColumn(measure)] + measure.reasons.map { StatisticsColumn(measure, reason: $0) }
    }

    public var key: String { reason.map { "\(measure.rawValue).\($0.rawValue)" } ?? measure.rawValue }

    /// The columns that add up to this one: a measure's reasons, or the measures it splits into.
    public var parts: [StatisticsColumn] {
        guard reason == nil else { return [] }
        return measure.reasons.map { StatisticsColumn(measure, reason: $0) } + measure.parts.map { StatisticsColumn($0) }
    }

    /// Whether this column is a part of another (shown under it).
    public var isPart: Bool {
        reason != nil || StatisticsMeasure.allCases.contains { $0.parts.contains(measure) }
    }
}

/// The only ways a report may be broken down; funders can ask for nothing finer, and never for a cross-tab.
public enum StatisticsBreakdown: String, CaseIterable, Sendable, Codable {
    case total, programme
    case referrerType = "referrer_type"
    case targetGroup = "target_group"
    case ageBand = "age_band"
    case region
}

/// True counts of one period: a row per breakdown value, a column per `StatisticsColumn`. The total row is not
/// stored; it is the sum of the rows (for the stock as well: active is active in exactly one row).
public struct CountTable: Sendable, Hashable {
    public let rows: [String]
    public let columns: [StatisticsColumn]
    public private(set) var cells: [[Int]]

    public init(rows: [String], columns: [StatisticsColumn] = StatisticsColumn.all, cells: [[Int]]? = nil) {
        self.rows = rows
        self.columns = columns
        self.cells = cells ?? Array(repeating: Array(repeating: 0, count: columns.count), count: rows.count)
    }

    public subscript(row: Int, column: Int) -> Int {
        get { cells[row][column] }
        set { cells[row][column] = newValue }
    }

    public var totals: [Int] {
        columns.indices.map { column in rows.indices.reduce(0) { $0 + cells[$1][column] } }
    }
}
