import Foundation
import KoppelCore
import PostgresNIO

/// A report's months of one unit: kept protected (decision 0025), or counted by `counts.report_months`.
extension StatisticsStore {
    /// A unit of a report and what selects its referrals.
    struct Part {
        let unit: StatisticsUnit
        let referrer: UUID?
        /// Nil: every municipality.
        let municipalities: [String]?
    }

    /// What `counts.report_months` told: the counts, and per unit the months kept whole, each with its spans' ids.
    struct MonthCounts {
        var counts: [MonthlyCount] = []
        var settled: [StatisticsUnit: [String: [Int]]] = [:]
    }

    /// The unit's months kept protected in `shape`; one whose figures do not fit the rows is left out (counted again).
    func protectedMonths(
        of part: Part, from: String, until: String, shape: String, rows: [StatisticsBreakdown: [String]], on connection: PostgresConnection
    ) async throws -> [String: ProtectedMonth] {
        var months: [String: ProtectedMonth] = [:]
        for row in try await connection.query(
            """
            SELECT to_char(month, 'YYYY-MM'), array_to_string(figures, ',')
            FROM counts.protected_months(\(part.unit.programme), \(part.referrer), \(part.municipalities)::text[], \(from)::date, \(until)::date, \(shape))
            """, logger: logger
        ).collect() {
            // As text: PostgresNIO decodes an array element by element through generic metadata, which cost a report more
            // (8% of the server's CPU for a year's 8,000 figures) than reading the rest of it.
            let (month, written) = try row.decode((String, String).self)
            if let figures = ProtectedMonth.figures(written: written), let protected = ProtectedMonth(figures: figures, rows: rows) {
                months[month] = protected
            }
        }
        return months
    }

    /// Every breakdown's months of the unit from `from` on: those not counted yet in one pass over its referrals.
    func count(_ part: Part, from: String, until: String, into counted: inout MonthCounts, on connection: PostgresConnection) async throws {
        let breakdowns = StatisticsReport.protectedTogether.map(\.rawValue)
        for row in try await connection.query(
            """
            SELECT breakdown, to_char(month, 'YYYY-MM'), breakdown_value, measure, reason, referrals, span_id
            FROM counts.report_months(\(part.unit.programme), \(part.referrer), \(part.municipalities)::text[],
                                      \(from)::date, \(until)::date, \(breakdowns)::text[])
            """, logger: logger
        ).collect() {
            let (breakdownName, month, value, measure, reason, count, span) = try row.decode((String, String, String?, String?, String?, Int, Int?).self)
            if let span {
                counted.settled[part.unit, default: [:]][month, default: []].append(span)
                continue
            }
            guard let value, let measure = measure.flatMap(StatisticsMeasure.init(rawValue:)),
                let breakdown = StatisticsBreakdown(rawValue: breakdownName)
            else { continue }
            let column = StatisticsColumn(measure, reason: reason.flatMap(ReferralReason.init(rawValue:)))
            counted.counts.append(MonthlyCount(unit: part.unit, breakdown: breakdown, month: month, value: value, column: column, count: count))
        }
    }

    /// Keeps a settled month as protected, made from the kept spans `spans`; nothing when any was forgotten meanwhile.
    func keep(_ month: ProtectedMonth, of part: Part, month name: String, shape: String, spans: [Int], on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            SELECT counts.keep_protected_month(\(part.unit.programme), \(part.referrer), \(part.municipalities)::text[], \("\(name)-01")::date,
                                               \(shape), \(spans)::bigint[], \(month.figures)::integer[])
            """, logger: logger)
    }
}
