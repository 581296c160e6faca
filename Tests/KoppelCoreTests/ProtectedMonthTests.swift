import Foundation
import KoppelCore
import Testing

/// A settled month kept protected (decision 0025) must give exactly the report its counts give, and kept figures
/// that do not fit the report's rows must never be read as if they did.
@Suite("Protected months as kept")
struct ProtectedMonthTests {
    static let rows: [StatisticsBreakdown: [String]] = [
        .total: ["total"], .referrerType: OrganisationType.allCases.map(\.rawValue), .targetGroup: TargetGroup.allCases.map(\.rawValue),
        .ageBand: AgeBand.allCases.map(\.rawValue), .region: ["Groningen", "Twente"],
    ]
    static let period = StatisticsPeriod(first: "2026-01", last: "2026-06")!
    static let programme = UUID()

    /// Random referrals of two parts of a programme over the period, counted by every breakdown as the database does.
    static func counts(_ generator: inout SeededGenerator) -> [MonthlyCount] {
        var counts: [MonthlyCount] = []
        for part in 0..<2 {
            for month in period.months {
                for _ in 0..<Int.random(in: 0...30, using: &generator) {
                    let column = StatisticsColumn.all[Int.random(in: 0..<StatisticsColumn.all.count, using: &generator)]
                    for breakdown in StatisticsReport.protectedTogether {
                        let values = rows[breakdown]!
                        counts.append(MonthlyCount(
                            unit: StatisticsUnit(programme: programme, part: part), breakdown: breakdown, month: month,
                            value: values[Int.random(in: 0..<values.count, using: &generator)], column: column, count: 1))
                    }
                }
            }
        }
        return counts
    }

    @Test("months read back from their kept figures give the same report as their counts, by every breakdown")
    func keptGivesTheSameReport() throws {
        var generator = SeededGenerator(seed: 25)
        let units = [StatisticsUnit(programme: Self.programme, part: 0), StatisticsUnit(programme: Self.programme, part: 1)]
        for _ in 0..<20 {
            let counts = Self.counts(&generator)
            let protected = StatisticsReport.protectMonths(
                period: Self.period, units: units, rows: Self.rows, counts: counts, threshold: 5, currentMonth: "2026-06")
            // The first four months as PostgreSQL keeps them; the rest counted again.
            var kept: [StatisticsUnit: [String: ProtectedMonth]] = [:]
            for unit in units {
                for month in Self.period.months.prefix(4) {
                    let figures = try #require(protected[unit]?[month]).figures
                    kept[unit, default: [:]][month] = try #require(ProtectedMonth(figures: figures, rows: Self.rows))
                }
            }
            let later = counts.filter { !Self.period.months.prefix(4).contains($0.month) }
            let fromKept = StatisticsReport.protectMonths(
                period: Self.period, units: units, rows: Self.rows, counts: later, threshold: 5, currentMonth: "2026-06", kept: kept)
            #expect(fromKept == protected)
            for breakdown in StatisticsBreakdown.allCases {
                let expected = StatisticsReport.build(
                    period: Self.period, breakdown: breakdown, programmes: [Self.programme], units: units, rows: Self.rows, counts: counts, waits: [],
                    threshold: 5, currentMonth: "2026-06")
                let actual = StatisticsReport.build(
                    period: Self.period, breakdown: breakdown, programmes: [Self.programme], units: units, rows: Self.rows, months: fromKept,
                    waits: [], currentMonth: "2026-06")
                #expect(actual.table == expected.table, "\(breakdown)")
                #expect(actual.occupancy.map(\.inUse) == expected.occupancy.map(\.inUse))
            }
        }
    }

    @Test("kept figures that do not fit the rows are not read: too few, too many, or not a figure")
    func misfitsRefused() throws {
        let unit = StatisticsUnit(programme: Self.programme, part: 0)
        // Two referrals received in Twente: too few to show.
        let counts = StatisticsReport.protectedTogether.map { breakdown in
            MonthlyCount(
                unit: unit, breakdown: breakdown, month: "2026-01", value: breakdown == .region ? "Twente" : Self.rows[breakdown]![0],
                column: StatisticsColumn(.received), count: 2)
        }
        let protected = StatisticsReport.protectMonths(
            period: Self.period, units: [unit], rows: Self.rows, counts: counts, threshold: 5, currentMonth: "2026-01")
        let figures = try #require(protected[unit]?["2026-01"]).figures
        #expect(figures.contains(-1), "some figure is withheld, so -1 is tried")
        #expect(ProtectedMonth(figures: figures, rows: Self.rows) != nil)
        #expect(ProtectedMonth(figures: Array(figures.dropLast()), rows: Self.rows) == nil)
        #expect(ProtectedMonth(figures: figures + [0], rows: Self.rows) == nil)
        #expect(ProtectedMonth(figures: [-2] + figures.dropFirst(), rows: Self.rows) == nil)
        var fewerRegions = Self.rows
        fewerRegions[.region] = ["Twente"]
        #expect(ProtectedMonth(figures: figures, rows: fewerRegions) == nil)
    }

    @Test("kept figures are read back from PostgreSQL's text exactly; anything but integers joined by commas is not read")
    func writtenFigures() {
        let figures = [0, 12, -1, 7, 123_456_789, -1, 3]
        #expect(ProtectedMonth.figures(written: figures.map(String.init).joined(separator: ",")) == figures)
        #expect(ProtectedMonth.figures(written: "5") == [5])
        #expect(ProtectedMonth.figures(written: "") == [])
        for malformed in ["1,,2", ",1", "1,", "1,a", "-", "--1", "1-2", "1, 2", "+3", "1.5", "9999999999999999999", "{1,2}"] {
            #expect(ProtectedMonth.figures(written: malformed) == nil, "\(malformed)")
        }
    }

    @Test("the shape changes with the threshold, any breakdown's rows and the columns, so kept figures serve only their own")
    func shapes() {
        let shape = ProtectedMonth.shape(rows: Self.rows, threshold: 5)
        #expect(shape == ProtectedMonth.shape(rows: Self.rows, threshold: 5))
        #expect(shape != ProtectedMonth.shape(rows: Self.rows, threshold: 10))
        var renamed = Self.rows
        renamed[.region] = ["Groningen", "Twente", "Drenthe"]
        #expect(shape != ProtectedMonth.shape(rows: renamed, threshold: 5))
        #expect(shape != ProtectedMonth.shape(rows: Self.rows, threshold: 5, columns: Array(StatisticsColumn.all.dropLast())))
        #expect(shape.contains("rule=\(DisclosureControl.version)"))
    }
}
