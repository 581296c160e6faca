import Foundation
import KoppelCore

/// The demo data file: the five programmes of the domain, their operators, partners and funders.
public struct DemoData: Decodable, Sendable {
    public struct Organisation: Decodable, Sendable {
        public var slug: String
        public var name: String
        public var kinds: [String]
        public var country: String
        public var website: String?
        /// Civil society when not given.
        public var type: OrganisationType?
    }

    public struct Programme: Decodable, Sendable {
        public struct Rules: Decodable, Sendable {
            var minimumAge: Int?
            var maximumAge: Int?
            var targetGroups: [TargetGroup]
            var description: LocalizedText?
        }

        public var slug: String
        public var name: String
        public var `operator`: String
        public var status: ProgrammeStatus
        public var description: LocalizedText
        public var eligibility: Rules
        public var serviceAreas: [ServiceArea]
        public var languages: [String]
        public var typicalDurationMonths: Int?
        public var placesTotal: Int?
        public var applicationProcess: LocalizedText?
        public var website: String?
    }

    /// A named area, by municipality and region codes (data/reference).
    public struct Area: Decodable, Sendable {
        public var name: String
        public var description: String?
        public var municipalities: [String]?
        public var regions: [String]?
    }

    /// A funding agreement: funder and programme by slug, area by name, first and last month (`{year}-01`, with
    /// `{year}`, `{year-1}`, `{year+1}` … relative to the year it is loaded in, so the demo never runs out).
    public struct Agreement: Decodable, Sendable {
        public var funder: String
        public var programme: String
        public var area: String
        public var from: String
        public var until: String
        public var budgetEuros: Int?
        public var targetPlaces: Int?
        public var reference: String?

        /// `month` with its year placeholder filled in for `year`; nil when it has none that fits.
        static func month(_ month: String, year: Int) -> String? {
            guard let match = month.firstMatch(of: /^\{year([+-][0-9])?\}-([0-9]{2})$/) else { return nil }
            let offset = match.1.flatMap { Int($0) } ?? 0
            return String(format: "%04d-%@", year + offset, String(match.2))
        }
    }

    /// Demo accounts, one for each kind of user.
    public struct User: Decodable, Sendable {
        public var email: String
        public var name: String
        public var organisation: String
        public var roles: [Role]
        public var programmes: [String]?
    }

    public var organisations: [Organisation]
    public var programmes: [Programme]
    private var declaredAreas: [Area]?
    private var declaredAgreements: [Agreement]?
    public var areas: [Area] { declaredAreas ?? [] }
    public var agreements: [Agreement] { declaredAgreements ?? [] }
    private var declaredUsers: [User]?
    public var users: [User] { declaredUsers ?? [] }

    enum CodingKeys: String, CodingKey {
        case organisations, programmes
        case declaredAreas = "areas", declaredAgreements = "agreements"
        case declaredUsers = "users"
    }

    /// The demo data shipped with Koppel.
    public static func bundled() throws -> DemoData {
        guard let url = Bundle.module.url(forResource: "demo-data", withExtension: "json") else {
            throw DemoDataError.missing("demo-data.json is not in the KoppelStore bundle")
        }
        return try load(from: url)
    }

    public static func load(from url: URL) throws -> DemoData {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let data = try Data(contentsOf: url)
        let demo = try decoder.decode(DemoData.self, from: data)
        try demo.validate()
        return demo
    }

    /// Every slug a programme names must be an organisation of the right kind.
    func validate() throws {
        let kinds = Dictionary(uniqueKeysWithValues: organisations.map { ($0.slug, Set($0.kinds)) })
        for programme in programmes {
            guard kinds[programme.operator]?.contains("operator") == true else {
                throw DemoDataError.missing("programme \(programme.slug): operator \(programme.operator) is not an operator organisation")
            }
        }
        let programmeSlugs = Set(programmes.map(\.slug)), areaNames = Set(areas.map(\.name))
        for agreement in agreements {
            guard kinds[agreement.funder]?.contains("funder") == true, programmeSlugs.contains(agreement.programme),
                areaNames.contains(agreement.area), let from = Agreement.month(agreement.from, year: 2000),
                let until = Agreement.month(agreement.until, year: 2000), from <= until
            else { throw DemoDataError.missing("agreement of \(agreement.funder) for \(agreement.programme): funder, programme, area or months unknown") }
        }
        for user in users where kinds[user.organisation] == nil {
            throw DemoDataError.missing("user \(user.email): no organisation \(user.organisation)")
        }
    }
}

public enum DemoDataError: Error, CustomStringConvertible {
    case missing(String)

    public var description: String {
        switch self {
        case .missing(let what): "demo data: \(what)"
        }
    }
}
