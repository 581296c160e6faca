import Foundation

/// The months a report covers: a month (`2026-03`), a quarter (`2026-Q1`), a year (`2026`), or a range of whole
/// months. Ranges are whole months because tables are protected per month (`DisclosureControl`).
public struct StatisticsPeriod: Sendable, Hashable {
    /// First and last month, as `YYYY-MM`.
    public let first: String
    public let last: String
    public static let longest = 120

    public init?(first: String, last: String) {
        guard let from = Self.index(first), let to = Self.index(last), from <= to, to - from < Self.longest else { return nil }
        self.first = first
        self.last = last
    }

    /// What a request must give, for the message when it does not.
    public static let expected = "Give period as YYYY, YYYY-Qn or YYYY-MM, or from and to as YYYY-MM (at most \(longest) months, from not after to)."

    /// From `period` (month, quarter or year), or `from` and `to` months; nil when neither makes a period.
    public static func parse(period: String?, from: String?, to: String?) -> StatisticsPeriod? {
        if let period, from == nil, to == nil {
            let parts = period.split(separator: "-").map(String.init)
            if parts.count == 1, let year = Int(parts[0]), (2000...2100).contains(year) {
                return StatisticsPeriod(first: "\(parts[0])-01", last: "\(parts[0])-12")
            }
            if parts.count == 2, parts[1].hasPrefix("Q"), let quarter = Int(parts[1].dropFirst()), (1...4).contains(quarter),
                let period = StatisticsPeriod(first: month(parts[0], quarter * 3 - 2), last: month(parts[0], quarter * 3))
            {
                return period
            }
            return StatisticsPeriod(first: period, last: period)
        }
        guard period == nil, let from, let to else { return nil }
        return StatisticsPeriod(first: from, last: to)
    }

    public var months: [String] {
        guard let from = Self.index(first), let to = Self.index(last) else { return [] }
        return (from...to).map(Self.name)
    }

    /// The first day of the first month and of the month after the last, as `YYYY-MM-DD`.
    public var bounds: (from: String, until: String) {
        let after = (Self.index(last) ?? 0) + 1
        return ("\(first)-01", Self.name(after) + "-01")
    }

    /// The month `count - 1` months before `last` (`YYYY-MM`): the first of a run of `count` months ending at `last`.
    public static func months(before last: String, count: Int) -> String {
        name((index(last) ?? 0) - (count - 1))
    }

    private static func month(_ year: String, _ month: Int) -> String { "\(year)-\(month < 10 ? "0" : "")\(month)" }

    /// `YYYY-MM` of a month's index (`year * 12 + month - 1`); written by hand, as `String(format:)` costs a report
    /// more than the rest of its months' arithmetic.
    private static func name(_ index: Int) -> String { month(String(index / 12), index % 12 + 1) }

    private static func index(_ month: String) -> Int? {
        let parts = month.split(separator: "-")
        guard month.count == 7, parts.count == 2, let year = Int(parts[0]), let number = Int(parts[1]), (2000...2100).contains(year),
            (1...12).contains(number)
        else { return nil }
        return year * 12 + number - 1
    }
}

/// What is protected on its own: a programme, or one part of it that its funding agreements' areas cut out
/// (`counts.programme_parts`). Reports only ever add units' published figures up.
public struct StatisticsUnit: Sendable, Hashable {
    public let programme: UUID
    public let part: Int

    public init(programme: UUID, part: Int = 0) {
        self.programme = programme
        self.part = part
    }
}

/// A count of one month from the history: a unit's referrals in row `value` of `breakdown` that counted for
/// `column`.
public struct MonthlyCount: Sendable, Hashable {
    public let unit: StatisticsUnit
    public let breakdown: StatisticsBreakdown
    public let month: String
    public let value: String
    public let column: StatisticsColumn
    public let count: Int

    public var programme: UUID { unit.programme }

    public init(unit: StatisticsUnit, breakdown: StatisticsBreakdown, month: String, value: String, column: StatisticsColumn, count: Int) {
        self.unit = unit
        self.breakdown = breakdown
        self.month = month
        self.value = value
        self.column = column
        self.count = count
    }
}

/// The two waits a report gives.
public enum WaitKind: String, CaseIterable, Sendable, Codable {
    case submittedToAccepted = "submitted_to_accepted"
    case acceptedToActive = "accepted_to_active"
}

/// A report as it may be shown to its reader: every figure through `DisclosureControl`.
public struct StatisticsReport: Sendable {
    public let period: StatisticsPeriod
    public let breakdown: StatisticsBreakdown
    public let table: ProtectedTable
    /// Per breakdown row (and "total"), the waits that may be shown.
    public let waits: [String: [WaitKind: WaitingTime]]
    /// The total row of each month that has begun, as protected in that month's tables (the programmes added up).
    public let monthTotals: [(month: String, totals: [PublishedCount])]

    /// Places in use (referrals active) at the end of each month that has begun (now, for the month in progress).
    public var occupancy: [(month: String, inUse: PublishedCount)] {
        let active = StatisticsColumn.all.firstIndex(of: StatisticsColumn(.activeAtEnd))!
        return monthTotals.map { ($0.month, $0.totals[active]) }
    }

    /// The share answered within the response time in each month that has begun (nil: nothing answered).
    public var answeredInTimeByMonth: [(month: String, share: PublishedShare?)] {
        monthTotals.map { ($0.month, DisclosureControl.answeredInTime($0.totals, columns: StatisticsColumn.all)) }
    }

    /// The share answered within the response time in one row of `table` (a row's cells, or its totals).
    public func answeredInTime(_ figures: [PublishedCount]) -> PublishedShare? {
        DisclosureControl.answeredInTime(figures, columns: table.columns)
    }

    /// The breakdowns a programme's month is protected by together (`DisclosureControl.protectTogether`); the
    /// programme breakdown is made of each programme's total.
    public static let protectedTogether: [StatisticsBreakdown] = [.total, .referrerType, .targetGroup, .ageBand, .region]

    /// Builds the report from the month counts of every unit (a programme, or a part of one) in scope by every
    /// breakdown in `protectedTogether` (`rows` gives each breakdown's rows): each unit's month is protected, its months
    /// summed over the period, and the units' tables added up, per programme and in all. Months after `currentMonth`
    /// have not begun: they are left out, so the referrals running at the end of a period still in progress are those
    /// running now. `units` defaults to one per programme.
    public static func build(
        period: StatisticsPeriod, breakdown: StatisticsBreakdown, programmes: [UUID], units: [StatisticsUnit]? = nil,
        rows: [StatisticsBreakdown: [String]], counts: [MonthlyCount],
        waits: [(value: String, kind: WaitKind, referrals: Int, median: Double, p90: Double)], threshold: Int, currentMonth: String
    ) -> StatisticsReport {
        let units = units ?? programmes.map { StatisticsUnit(programme: $0) }
        let months = protectMonths(period: period, units: units, rows: rows, counts: counts, threshold: threshold, currentMonth: currentMonth)
        return build(
            period: period, breakdown: breakdown, programmes: programmes, units: units, rows: rows, months: months, waits: waits,
            currentMonth: currentMonth)
    }

    /// Each unit's begun months (up to `currentMonth`), protected by every breakdown together: those in `kept` as
    /// they are, the others from `counts`.
    public static func protectMonths(
        period: StatisticsPeriod, units: [StatisticsUnit], rows: [StatisticsBreakdown: [String]], counts: [MonthlyCount], threshold: Int,
        currentMonth: String, kept: [StatisticsUnit: [String: ProtectedMonth]] = [:]
    ) -> [StatisticsUnit: [String: ProtectedMonth]] {
        let begun = period.months.filter { $0 <= currentMonth }
        let columnIndex = Dictionary(uniqueKeysWithValues: StatisticsColumn.all.enumerated().map { ($1, $0) })
        let together = protectedTogether.filter { rows[$0] != nil }
        // The empty tables of one unit's month, one per breakdown, then the counts in them.
        var tables: [StatisticsUnit: [String: [CountTable]]] = [:]
        for unit in units {
            tables[unit] = Dictionary(uniqueKeysWithValues: begun.filter { kept[unit]?[$0] == nil }.map { month in
                (month, together.map { CountTable(rows: rows[$0]!) })
            })
        }
        let rowIndex = together.map { Dictionary(uniqueKeysWithValues: rows[$0]!.enumerated().map { ($1, $0) }) }
        for count in counts {
            guard let table = together.firstIndex(of: count.breakdown), let row = rowIndex[table][count.value],
                let column = columnIndex[count.column], tables[count.unit]?[count.month] != nil
            else { continue }
            tables[count.unit]![count.month]![table][row, column] += count.count
        }
        var protected = kept.filter { units.contains($0.key) }
        for (unit, months) in tables {
            for (month, table) in months {
                protected[unit, default: [:]][month] = ProtectedMonth(tables: DisclosureControl.protectTogether(table, threshold: threshold))
            }
        }
        return protected
    }

    /// Builds the report from each unit's protected months (`protectMonths`).
    public static func build(
        period: StatisticsPeriod, breakdown: StatisticsBreakdown, programmes: [UUID], units: [StatisticsUnit],
        rows: [StatisticsBreakdown: [String]], months: [StatisticsUnit: [String: ProtectedMonth]],
        waits: [(value: String, kind: WaitKind, referrals: Int, median: Double, p90: Double)], currentMonth: String
    ) -> StatisticsReport {
        let begun = period.months.filter { $0 <= currentMonth }
        let together = protectedTogether.filter { rows[$0] != nil }
        let shown = together.firstIndex(of: breakdown == .programme ? .total : breakdown) ?? 0
        let empty = DisclosureControl.protect(CountTable(rows: breakdown == .programme ? programmes.map(\.uuidString).map { $0.lowercased() } : rows[breakdown] ?? []))
        let nothing = DisclosureControl.protect(CountTable(rows: together.isEmpty ? [] : rows[together[shown]] ?? []))
        // Each unit's months, protected, by the breakdown asked for.
        let protectedMonths = units.map { unit in
            begun.map { month in months[unit]?[month].flatMap { $0.tables.indices.contains(shown) ? $0.tables[shown] : nil } ?? nothing }
        }
        let perUnit = protectedMonths.map { DisclosureControl.combine($0) ?? empty }
        let perProgramme = programmes.map { programme in
            DisclosureControl.sum(units.indices.filter { units[$0].programme == programme }.map { perUnit[$0] }) ?? empty
        }
        let table: ProtectedTable
        if breakdown == .programme {
            // A row per programme: its own total row.
            let sum = DisclosureControl.sum(perProgramme)
            table = ProtectedTable(
                rows: programmes.map { $0.uuidString.lowercased() }, columns: StatisticsColumn.all, cells: perProgramme.map(\.totals),
                totals: sum?.totals ?? empty.totals)
        } else {
            table = DisclosureControl.sum(perProgramme) ?? empty
        }
        var shownWaits: [String: [WaitKind: WaitingTime]] = [:]
        for wait in waits {
            if let time = DisclosureControl.waitingTime(referrals: wait.referrals, median: wait.median, p90: wait.p90) {
                shownWaits[wait.value, default: [:]][wait.kind] = time
            }
        }
        let monthTotals = begun.indices.map { month in
            (begun[month], DisclosureControl.sum(protectedMonths.map { $0[month] })?.totals ?? empty.totals)
        }
        return StatisticsReport(period: period, breakdown: breakdown, table: table, waits: shownWaits, monthTotals: monthTotals)
    }
}
