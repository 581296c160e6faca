import Foundation

/// A funder's agreement to fund a programme in an area for a period of whole months, with what it pays for. What
/// the funder's figures cover, no more (decision 0021).
public struct FundingAgreement: Sendable, Hashable, Identifiable {
    public var id: UUID
    public var funder: NamedID
    public var programme: NamedID
    public var area: NamedID
    /// The first and last month covered, `YYYY-MM`.
    public var firstMonth: String
    public var lastMonth: String
    public var budgetEuros: Int?
    public var targetPlaces: Int?
    /// The funder's own reference (a subsidy decision's number).
    public var reference: String?
    public var version: Int

    public init(
        id: UUID, funder: NamedID, programme: NamedID, area: NamedID, firstMonth: String, lastMonth: String, budgetEuros: Int? = nil,
        targetPlaces: Int? = nil, reference: String? = nil, version: Int = 1
    ) {
        self.id = id
        self.funder = funder
        self.programme = programme
        self.area = area
        self.firstMonth = firstMonth
        self.lastMonth = lastMonth
        self.budgetEuros = budgetEuros
        self.targetPlaces = targetPlaces
        self.reference = reference
        self.version = version
    }

    /// Whether every month of `period` lies within the agreement's.
    public func covers(_ period: StatisticsPeriod) -> Bool {
        firstMonth <= period.first && period.last <= lastMonth
    }

    /// The months of `period` within the agreement; when none are, the agreement's last twelve months. What a
    /// dashboard shows when the reader chooses an agreement that does not cover the months on screen.
    public func fitted(_ period: StatisticsPeriod) -> StatisticsPeriod {
        if covers(period) { return period }
        if let overlap = StatisticsPeriod(first: max(firstMonth, period.first), last: min(lastMonth, period.last)) { return overlap }
        return StatisticsPeriod(first: max(firstMonth, StatisticsPeriod.months(before: lastMonth, count: 12)), last: lastMonth) ?? period
    }

    /// The agreement as a funder reads it in a message: programme, area and months.
    public var summary: String { "\(programme.name) in \(area.name), \(firstMonth) to \(lastMonth) (agreement=\(id.uuidString.lowercased()))" }
}

/// A named set of municipalities and regions a hub-admin defines ("Twente", "the 25 Aan de Slag municipalities").
public struct NamedArea: Sendable, Hashable, Identifiable {
    public enum Member: Sendable, Hashable {
        /// A municipality by its code (`GM0153`, `21004`).
        case municipality(String)
        /// A region by its code (`CR14`, `PV20`, `NL`): every municipality in it.
        case region(String)
    }

    public var id: UUID
    public var name: String
    public var description: String?
    public var members: [Member]
    public var version: Int

    public init(id: UUID, name: String, description: String?, members: [Member], version: Int = 1) {
        self.id = id
        self.name = name
        self.description = description
        self.members = members
        self.version = version
    }
}
