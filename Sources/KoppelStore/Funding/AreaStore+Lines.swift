import Foundation
import KoppelCore
import PostgresNIO

extension AreaStore {
    /// The members a hub-admin typed on the area form, one a line: a municipality's code or any of its names, or a
    /// region's code or name. Every line that names nothing, or several places, is reported with its number at once.
    public func resolve(lines text: String) async throws -> [NamedArea.Member] {
        var members: [NamedArea.Member] = []
        var unknown: [UnknownPlace] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !line.isEmpty else { continue }
            let found = try await places(named: line)
            if found.count == 1 {
                members.append(found[0].member)
            } else {
                unknown.append(UnknownPlace(line: index + 1, text: line, candidates: found.map { "\($0.name) (\($0.code))" }))
            }
        }
        guard unknown.isEmpty else { throw FundingError.unknownPlaces(unknown) }
        return members
    }

    /// The current municipalities and the regions a line may mean: by code first, else by folded name.
    private func places(named line: String) async throws -> [(member: NamedArea.Member, code: String, name: String)] {
        let municipalityCode = PlaceName.code(line) ?? ""
        // "Twente (CR12)", as the edit form writes a member back, is the region CR12.
        var regionCode = line.uppercased()
        if regionCode.hasSuffix(")"), let open = regionCode.lastIndex(of: "(") {
            regionCode = String(regionCode[regionCode.index(after: open)..<regionCode.index(before: regionCode.endIndex)])
        }
        let folded = PlaceName.folded(line)
        let rows = try await client.query(
            """
            WITH by_code AS (
                SELECT 'municipality' AS kind, code, name FROM municipalities WHERE code = \(municipalityCode)
                UNION SELECT 'region', code, name FROM regions WHERE code = \(regionCode)
            )
            SELECT kind, code, name FROM by_code
            UNION
            SELECT 'municipality', m.code, m.name FROM municipality_names n JOIN municipalities m ON m.code = n.municipality
            WHERE NOT EXISTS (SELECT FROM by_code) AND n.folded = \(folded) AND (m.ended_on IS NULL OR m.ended_on > koppel_today())
            UNION
            SELECT 'region', r.code, r.name FROM regions r WHERE NOT EXISTS (SELECT FROM by_code) AND fold_place_name(r.name) = \(folded)
            ORDER BY 3, 2
            LIMIT 10
            """, logger: logger
        ).collect()
        return try rows.map { row in
            let (kind, code, name) = try row.decode((String, String, String).self)
            return (kind == "region" ? .region(code) : .municipality(code), code, name)
        }
    }
}
