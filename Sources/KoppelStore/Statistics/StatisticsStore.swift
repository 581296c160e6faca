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
    /// programme is protected by every breakdown together (`StatisticsReport.protectMonths`); an agreement's report
    /// reads only the parts inside its area. A settled month protected once is read as it was kept (decision 0025);
    /// the others are counted, and those settled kept.
    public func report(
        _ scope: StatisticsScope, period: StatisticsPeriod, breakdown: StatisticsBreakdown, threshold: Int, actingFor actor: Actor
    ) async throws -> StatisticsReport {
        let (from, until) = period.bounds
        return try await client.withTenantTransaction(organisation: actor.organisationID, user: actor.userID, logger: logger) { connection in
            let currentMonth = try await connection.query(
                "SELECT to_char(koppel_now() AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM')", logger: logger
            ).collect().first!.decode(String.self)
            var parts: [Part] = []
            var area: [String]? = nil
            for programme in scope.programmes {
                var programmeParts = try await self.parts(of: programme, on: connection)
                if let agreement = scope.agreement {
                    programmeParts = programmeParts.filter { $0.areas.contains(agreement.area.id) }
                    // An agreement is of one programme; nil when its part is every municipality.
                    area = programmeParts.contains { $0.municipalities == nil } ? nil : programmeParts.flatMap { $0.municipalities ?? [] }
                }
                parts += programmeParts.enumerated().map {
                    Part(
                        unit: StatisticsUnit(programme: programme, part: $0.offset), referrer: scope.referringOrganisation,
                        municipalities: $0.element.municipalities)
                }
            }
            var rows: [StatisticsBreakdown: [String]] = [:]
            for each in StatisticsReport.protectedTogether { rows[each] = try await self.rows(of: each, scope: scope, area: area, on: connection) }
            let shape = ProtectedMonth.shape(rows: rows, threshold: threshold)
            var kept: [StatisticsUnit: [String: ProtectedMonth]] = [:]
            var counted = MonthCounts()
            for part in parts {
                kept[part.unit] = try await protectedMonths(of: part, from: from, until: until, shape: shape, rows: rows, on: connection)
                // Counted from the first month begun and not kept on; months kept after it are read and left alone.
                guard let first = period.months.first(where: { $0 <= currentMonth && kept[part.unit]?[$0] == nil }) else { continue }
                try await count(part, from: "\(first)-01", until: until, into: &counted, on: connection)
            }
            let months = StatisticsReport.protectMonths(
                period: period, units: parts.map(\.unit), rows: rows, counts: counted.counts, threshold: threshold, currentMonth: currentMonth,
                kept: kept)
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
            // Last, so that the lock it shares with deletions of kept spans is held only until the commit.
            for part in parts {
                for (month, spans) in counted.settled[part.unit] ?? [:] where spans.count == rows.count && kept[part.unit]?[month] == nil {
                    guard let protected = months[part.unit]?[month] else { continue }
                    try await keep(protected, of: part, month: month, shape: shape, spans: spans, on: connection)
                }
            }
            return StatisticsReport.build(
                period: period, breakdown: breakdown, programmes: scope.programmes, units: parts.map(\.unit), rows: rows, months: months,
                waits: waits, currentMonth: currentMonth)
        }
    }
}
