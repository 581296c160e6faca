import Foundation
import KoppelCore

/// The places of data/reference, read and checked: regions, municipalities and their other names, per country. Files
/// are named `<country>-regions.csv`, `<country>-municipalities.csv` and `<country>-names.csv` (`nl`, `be`); their
/// columns are described in data/reference/README.md.
public struct ReferenceData: Sendable {
    public struct Region: Sendable, Hashable {
        public let code: String
        public let kind: String
        public let name: String
        public let country: String
    }

    public struct Place: Sendable, Hashable {
        public let code: String
        public let name: String
        public let country: String
        public let regions: [String]
        /// The statistical region's name: COROP region (NL), arrondissement (BE).
        public let statisticalRegion: String
        public let validFrom: String?
        public let endedOn: String?
        public let successor: String?
    }

    public struct OtherName: Sendable, Hashable {
        public let code: String
        public let name: String
        public let language: String
    }

    public var regions: [Region] = []
    public var municipalities: [Place] = []
    public var names: [OtherName] = []

    static let countries = ["nl": "NL", "be": "BE"]
    static let regionKinds: Set<String> = ["province", "corop", "labour_market", "landsdeel", "region", "arrondissement"]
    /// The kind of region statistics break a country down by.
    static let statisticalKind = ["NL": "corop", "BE": "arrondissement"]
    static let languages: Set<String> = ["", "nl", "fr", "de", "fy"]

    /// Reads every country's three files in `directory`; throws the first error, naming file and line.
    public static func load(from directory: URL) throws -> ReferenceData {
        var data = ReferenceData()
        var found = false
        for (prefix, country) in countries.sorted(by: { $0.key < $1.key }) {
            let regionsURL = directory.appendingPathComponent("\(prefix)-regions.csv")
            guard FileManager.default.fileExists(atPath: regionsURL.path) else { continue }
            found = true
            let regions = try table(directory, "\(prefix)-regions.csv", ["code", "kind", "name"])
            let municipalities = try table(directory, "\(prefix)-municipalities.csv", ["code", "name", "regions", "valid_from", "ended_on", "successor"])
            let names = try table(directory, "\(prefix)-names.csv", ["code", "name", "language"])
            try data.add(country: country, regions: regions, municipalities: municipalities, names: names)
        }
        guard found else { throw ReferenceDataError(file: directory.path, line: 0, reason: "no nl-regions.csv or be-regions.csv in this folder") }
        return data
    }

    private static func table(_ directory: URL, _ name: String, _ columns: [String]) throws -> CSVTable {
        let url = directory.appendingPathComponent(name)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ReferenceDataError(file: name, line: 0, reason: "cannot read the file (is it there, in UTF-8?)")
        }
        return try CSVTable(name: name, text: text, columns: columns)
    }

    private mutating func add(country: String, regions regionTable: CSVTable, municipalities municipalityTable: CSVTable, names nameTable: CSVTable) throws {
        func fail(_ table: CSVTable, _ row: CSVTable.Row, _ reason: String) -> ReferenceDataError {
            ReferenceDataError(file: table.name, line: row.line, reason: reason)
        }
        var kinds: [String: Region] = [:]
        for row in regionTable.rows {
            let region = Region(code: row["code"], kind: row["kind"], name: row["name"].trimmingCharacters(in: .whitespaces), country: country)
            guard region.code.range(of: "^[A-Z0-9]{2,12}$", options: .regularExpression) != nil else { throw fail(regionTable, row, "code '\(region.code)' is not 2 to 12 capitals or digits") }
            guard Self.regionKinds.contains(region.kind) else { throw fail(regionTable, row, "kind '\(region.kind)' is not one of \(Self.regionKinds.sorted().joined(separator: ", "))") }
            guard !region.name.isEmpty else { throw fail(regionTable, row, "the region has no name") }
            guard kinds.updateValue(region, forKey: region.code) == nil else { throw fail(regionTable, row, "code \(region.code) is listed twice") }
            regions.append(region)
        }
        let codePattern = country == "NL" ? "^GM[0-9]{4}$" : "^[0-9]{5}$"
        var codes: Set<String> = []
        for row in municipalityTable.rows {
            let code = row["code"]
            guard code.range(of: codePattern, options: .regularExpression) != nil else { throw fail(municipalityTable, row, "code '\(code)' is not a \(country) municipality code") }
            guard codes.insert(code).inserted else { throw fail(municipalityTable, row, "code \(code) is listed twice") }
            let name = row["name"].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.count <= 100 else { throw fail(municipalityTable, row, "the municipality needs a name of at most 100 characters") }
            let memberOf = row["regions"].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            for region in memberOf where kinds[region] == nil { throw fail(municipalityTable, row, "region \(region) is not in the regions file") }
            let statistical = memberOf.compactMap { kinds[$0] }.filter { $0.kind == Self.statisticalKind[country] }
            guard statistical.count == 1 else { throw fail(municipalityTable, row, "it needs exactly one region of kind \(Self.statisticalKind[country]!)") }
            let validFrom = row["valid_from"].isEmpty ? nil : row["valid_from"]
            let endedOn = row["ended_on"].isEmpty ? nil : row["ended_on"]
            for day in [validFrom, endedOn].compactMap({ $0 }) where !CalendarDay.isValid(day) {
                throw fail(municipalityTable, row, "'\(day)' is not a day written as YYYY-MM-DD")
            }
            let successor = row["successor"].isEmpty ? nil : row["successor"]
            if successor != nil && endedOn == nil { throw fail(municipalityTable, row, "a successor is only for a municipality that ended (ended_on)") }
            municipalities.append(Place(
                code: code, name: name, country: country, regions: memberOf, statisticalRegion: statistical[0].name, validFrom: validFrom,
                endedOn: endedOn, successor: successor))
        }
        for row in municipalityTable.rows where !row["successor"].isEmpty && !codes.contains(row["successor"]) {
            throw fail(municipalityTable, row, "successor \(row["successor"]) is not in the file")
        }
        for row in nameTable.rows {
            let name = OtherName(code: row["code"], name: row["name"].trimmingCharacters(in: .whitespaces), language: row["language"])
            guard codes.contains(name.code) else { throw fail(nameTable, row, "municipality \(name.code) is not in the municipalities file") }
            guard !name.name.isEmpty, name.name.count <= 100, !PlaceName.folded(name.name).isEmpty else { throw fail(nameTable, row, "the name is empty or longer than 100 characters") }
            guard Self.languages.contains(name.language) else { throw fail(nameTable, row, "language '\(name.language)' is not one of nl, fr, de, fy or empty") }
            names.append(name)
        }
    }
}
