import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// Funder statistics from PostgreSQL: month counts and waiting times from `counts.statistics_*`, which answer
/// with aggregates only. Who may ask for which programmes is `StatisticsAccess`'s to decide before this runs.
public struct StatisticsStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Every programme's id, for the policy.
    public func programmes() async throws -> [UUID] {
        try await client.query("SELECT id FROM programmes ORDER BY name", logger: logger).collect().map { try $0.decode(UUID.self) }
    }

    /// The parts of a programme's municipalities that its agreements' areas cut them into (`counts.programme_parts`):
    /// each with the areas it lies in. One part holding every municipality is nil: counted without a filter.
    func parts(of programme: UUID, on connection: PostgresConnection) async throws -> [(areas: Set<UUID>, municipalities: [String]?)] {
        let parts = try await connection.query("SELECT areas, municipalities FROM counts.programme_parts(\(programme))", logger: logger)
            .collect().map { row in
                let (areas, municipalities) = try row.decode(([UUID], [String]).self)
                return (areas: Set(areas), municipalities: Optional(municipalities))
            }
        return parts.count == 1 ? [(parts[0].areas, nil)] : parts
    }

    /// The rows a breakdown has, in the order they are shown: every value there is (within the agreement's area,
    /// for an agreement's report), not only those with referrals, so an empty row says zero rather than nothing.
    func rows(of breakdown: StatisticsBreakdown, scope: StatisticsScope, area: [String]?, on connection: PostgresConnection) async throws -> [String] {
        switch breakdown {
        case .total: return ["total"]
        case .programme: return scope.programmes.map { $0.uuidString.lowercased() }
        case .referrerType: return OrganisationType.allCases.map(\.rawValue)
        case .targetGroup: return TargetGroup.allCases.map(\.rawValue)
        case .ageBand: return AgeBand.allCases.map(\.rawValue)
        case .region:
            return try await connection.query(
                """
                SELECT DISTINCT region FROM municipalities
                WHERE (\(area)::text[] IS NULL OR code = ANY(\(area))) AND (ended_on IS NULL OR ended_on > koppel_today())
                ORDER BY region
                """, logger: logger
            ).collect().map { try $0.decode(String.self) }
        }
    }

    /// The report for `scope`, by `breakdown`, for `period`, protected with `threshold`. Every part of every
    /// programme is read by every breakdown, as each is protected with all of them (`StatisticsReport.build`); an
    /// agreement's report reads only the parts inside its area.
    public func report(
        _ scope: StatisticsScope, period: StatisticsPeriod, breakdown: StatisticsBreakdown, threshold: Int, actingFor actor: Actor
    ) async throws -> StatisticsReport {
        let (from, until) = period.bounds
        let breakdowns = StatisticsReport.protectedTogether.map(\.rawValue)
        return try await client.withTenantTransaction(organisation: actor.organisationID, user: actor.userID, logger: logger) { connection in
            let currentMonth = try await connection.query(
                "SELECT to_char(koppel_now() AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM')", logger: logger
            ).collect().first!.decode(String.self)
            var units: [StatisticsUnit] = []
            var area: [String]? = nil
            var counts: [MonthlyCount] = []
            for programme in scope.programmes {
                var parts = try await parts(of: programme, on: connection)
                if let agreement = scope.agreement {
                    parts = parts.filter { $0.areas.contains(agreement.area.id) }
                    // An agreement is of one programme; nil when its part is every municipality.
                    area = parts.contains { $0.municipalities == nil } ? nil : parts.flatMap { $0.municipalities ?? [] }
                }
                for (index, part) in parts.enumerated() {
                    let unit = StatisticsUnit(programme: programme, part: index)
                    units.append(unit)
                    // Every breakdown's months in one call: those not counted yet in one pass over the part's referrals.
                    for row in try await connection.query(
                        """
                        SELECT breakdown, to_char(month, 'YYYY-MM'), breakdown_value, measure, reason, referrals
                        FROM counts.report_months(\(programme), \(scope.referringOrganisation), \(part.municipalities)::text[],
                                                  \(from)::date, \(until)::date, \(breakdowns)::text[])
                        """, logger: logger
                    ).collect() {
                        let (breakdownName, month, value, measure, reason, count) = try row.decode((String, String, String, String, String?, Int).self)
                        guard let measure = StatisticsMeasure(rawValue: measure), let breakdown = StatisticsBreakdown(rawValue: breakdownName) else { continue }
                        let column = StatisticsColumn(measure, reason: reason.flatMap(ReferralReason.init(rawValue:)))
                        counts.append(MonthlyCount(unit: unit, breakdown: breakdown, month: month, value: value, column: column, count: count))
                    }
                }
            }
            // By the breakdown and in total, in one answer; an agreement's area of several parts is counted as one.
            for programme in scope.programmes {
                try await connection.query(
                    """
                    SELECT counts.prepare_statistics(\(programme), \(scope.referringOrganisation), \(area)::text[], \(from)::date, \(until)::date,
                                                     ARRAY[\(breakdown.rawValue)])
                    """, logger: logger)
            }
            var waits: [(value: String, kind: WaitKind, referrals: Int, median: Double, p90: Double)] = []
            for row in try await connection.query(
                """
                SELECT breakdown_value, wait, referrals, median, p90
                FROM counts.statistics_waits(\(scope.programmes), \(scope.referringOrganisation), \(area)::text[], \(from)::date, \(until)::date,
                                             \(breakdown.rawValue))
                """, logger: logger
            ).collect() {
                let (value, wait, count, median, p90) = try row.decode((String, String, Int, Double, Double).self)
                if let kind = WaitKind(rawValue: wait) { waits.append((value, kind, count, median, p90)) }
            }
            var rows: [StatisticsBreakdown: [String]] = [:]
            for each in StatisticsReport.protectedTogether { rows[each] = try await self.rows(of: each, scope: scope, area: area, on: connection) }
            return StatisticsReport.build(
                period: period, breakdown: breakdown, programmes: scope.programmes, units: units, rows: rows, counts: counts, waits: waits,
                threshold: threshold, currentMonth: currentMonth)
        }
    }
}
