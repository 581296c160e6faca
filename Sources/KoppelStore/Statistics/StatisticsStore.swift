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

    /// Every programme with its funders, for the policy.
    public func funding() async throws -> [ProgrammeFunding] {
        var funders: [UUID: Set<UUID>] = [:]
        for row in try await client.query(
            "SELECT p.id, f.funder_id FROM programmes p LEFT JOIN programme_funders f ON f.programme_id = p.id ORDER BY p.name", logger: logger
        ).collect() {
            let (programme, funder) = try row.decode((UUID, UUID?).self)
            funders[programme, default: []].formUnion(funder.map { [$0] } ?? [])
        }
        return funders.map { ProgrammeFunding(programme: $0.key, funders: $0.value) }
    }

    /// The rows a breakdown has, in the order they are shown: every value there is, not only those with
    /// referrals, so an empty row says zero rather than nothing.
    public func rows(of breakdown: StatisticsBreakdown, scope: StatisticsScope) async throws -> [String] {
        switch breakdown {
        case .total: return ["total"]
        case .programme: return scope.programmes.map { $0.uuidString.lowercased() }
        case .referrerType: return OrganisationType.allCases.map(\.rawValue)
        case .targetGroup: return TargetGroup.allCases.map(\.rawValue)
        case .ageBand: return AgeBand.allCases.map(\.rawValue)
        case .region:
            return try await client.query("SELECT DISTINCT region FROM municipalities ORDER BY region", logger: logger).collect()
                .map { try $0.decode(String.self) }
        }
    }

    /// The report for `scope`, by `breakdown`, for `period`, protected with `threshold`. Every programme's months are
    /// read by every breakdown, as each is protected with all of them (`StatisticsReport.build`).
    public func report(
        _ scope: StatisticsScope, period: StatisticsPeriod, breakdown: StatisticsBreakdown, threshold: Int, actingFor actor: Actor
    ) async throws -> StatisticsReport {
        var rows: [StatisticsBreakdown: [String]] = [:]
        for each in StatisticsReport.protectedTogether { rows[each] = try await self.rows(of: each, scope: scope) }
        let (from, until) = period.bounds
        let breakdowns = StatisticsReport.protectedTogether.map(\.rawValue)
        let (counts, waits, currentMonth) = try await client.withTenantTransaction(
            organisation: actor.organisationID, user: actor.userID, logger: logger
        ) { connection in
            let currentMonth = try await connection.query(
                "SELECT to_char(koppel_now() AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM')", logger: logger
            ).collect().first!.decode(String.self)
            var counts: [MonthlyCount] = []
            for row in try await connection.query(
                """
                SELECT p, b, to_char(c.month, 'YYYY-MM'), c.breakdown_value, c.measure, c.reason, c.referrals
                FROM unnest(\(scope.programmes)::uuid[]) p, unnest(\(breakdowns)::text[]) b,
                     LATERAL counts.statistics_months(ARRAY[p], \(scope.referringOrganisation), \(from)::date, \(until)::date, b) c
                """, logger: logger
            ).collect() {
                let (programme, breakdownName, month, value, measure, reason, count) =
                    try row.decode((UUID, String, String, String, String, String?, Int).self)
                guard let measure = StatisticsMeasure(rawValue: measure), let breakdown = StatisticsBreakdown(rawValue: breakdownName) else { continue }
                let column = StatisticsColumn(measure, reason: reason.flatMap(ReferralReason.init(rawValue:)))
                counts.append(MonthlyCount(programme: programme, breakdown: breakdown, month: month, value: value, column: column, count: count))
            }
            // By the breakdown and in total, in one answer.
            var waits: [(value: String, kind: WaitKind, referrals: Int, median: Double, p90: Double)] = []
            for row in try await connection.query(
                """
                SELECT breakdown_value, wait, referrals, median, p90
                FROM counts.statistics_waits(\(scope.programmes), \(scope.referringOrganisation), \(from)::date, \(until)::date, \(breakdown.rawValue))
                """, logger: logger
            ).collect() {
                let (value, wait, count, median, p90) = try row.decode((String, String, Int, Double, Double).self)
                if let kind = WaitKind(rawValue: wait) { waits.append((value, kind, count, median, p90)) }
            }
            return (counts, waits, currentMonth)
        }
        return StatisticsReport.build(
            period: period, breakdown: breakdown, programmes: scope.programmes, rows: rows, counts: counts, waits: waits, threshold: threshold,
            currentMonth: currentMonth)
    }
}
