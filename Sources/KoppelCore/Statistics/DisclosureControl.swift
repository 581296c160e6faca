import Foundation

/// A figure as published: a count, or withheld because a person could be recognised from it.
public enum PublishedCount: Sendable, Hashable {
    case count(Int)
    case suppressed
}

/// A report table as it may be shown: every cell, and the total row, either a count or suppressed.
public struct ProtectedTable: Sendable, Hashable {
    public let rows: [String]
    public let columns: [StatisticsColumn]
    public let cells: [[PublishedCount]]
    public let totals: [PublishedCount]

    public init(rows: [String], columns: [StatisticsColumn], cells: [[PublishedCount]], totals: [PublishedCount]) {
        self.rows = rows
        self.columns = columns
        self.cells = cells
        self.totals = totals
    }
}

/// The one place that decides which figures may be shown (decision 0011).
///
/// - Primary suppression: a count from 1 to `threshold - 1` is withheld; zero stays zero.
/// - Secondary suppression: each published total makes a line with the cells it adds up (a column over the rows;
///   a measure over its reasons or the measures it splits into, in every row and in the total row). A line with
///   exactly one withheld figure, or whose withheld cells could only all be 1 (a withheld cell is known not to be
///   zero), gets another figure withheld, the smallest non-zero one, until no line gives any away.
/// - Shares (`share`) are worked out from published figures only, and withheld when either figure is.
/// - Periods: tables are protected per calendar month and a longer period is the sum of its months, a cell
///   withheld in any month withheld in the sum. Every figure in every response is then a sum of published
///   monthly figures, so comparing two responses (overlapping periods, other breakdowns) tells nothing the
///   protected months do not.
/// - Programmes: each programme's table is protected on its own (and its breakdowns together, so they withhold the
///   same totals); a report on several programmes adds their published figures up, a figure withheld in any one
///   withheld in the sum. Asking for P1, P2 and P1+P2 then gives nothing to subtract.
/// - Medians and percentiles need at least `minimumForPercentiles` referrals.
public enum DisclosureControl {
    public static let defaultThreshold = 5
    /// Raised whenever this rule changes what it withholds: months kept protected by an earlier version
    /// (`ProtectedMonth`) are then protected afresh.
    public static let version = 1
    public static let minimumForPercentiles = 10

    /// A cell of the table; `row == nil` is the total row.
    struct Position: Hashable {
        let row: Int?
        let column: Int
    }

    /// Cells that add up to a total.
    struct Line {
        let parts: [Position]
        let total: Position
    }

    /// Protects one table; `withheldTotals` are columns of the total row to withhold from the start (those another
    /// breakdown of the same referrals withholds, see `protectTogether`).
    public static func protect(_ table: CountTable, threshold: Int = defaultThreshold, withheldTotals: Set<Int> = []) -> ProtectedTable {
        let totals = table.totals
        func value(_ position: Position) -> Int { position.row.map { table[$0, position.column] } ?? totals[position.column] }
        let positions = (table.rows.indices.map(Optional.some) + [nil]).flatMap { row in
            table.columns.indices.map { Position(row: row, column: $0) }
        }
        var withheld = Set(positions.filter { (1..<threshold).contains(value($0)) })
        withheld.formUnion(withheldTotals.map { Position(row: nil, column: $0) })
        let lines = lines(of: table)
        var changed = !withheld.isEmpty
        while changed {
            changed = false
            for line in lines {
                let cells = line.parts + [line.total]
                let unknown = cells.filter(withheld.contains)
                guard !unknown.isEmpty else { continue }
                var givesAway = unknown.count == 1
                if !givesAway, !withheld.contains(line.total) {
                    let unknownParts = line.parts.filter(withheld.contains)
                    let residual = value(line.total) - line.parts.filter { !withheld.contains($0) }.reduce(0) { $0 + value($1) }
                    givesAway = residual == unknownParts.count
                }
                guard givesAway else { continue }
                let candidates = cells.filter { !withheld.contains($0) && value($0) > 0 }
                guard let pick = candidates.min(by: { value($0) < value($1) }) else { continue }
                withheld.insert(pick)
                changed = true
            }
        }
        func published(_ position: Position) -> PublishedCount { withheld.contains(position) ? .suppressed : .count(value(position)) }
        return ProtectedTable(
            rows: table.rows, columns: table.columns,
            cells: table.rows.indices.map { row in table.columns.indices.map { published(Position(row: row, column: $0)) } },
            totals: table.columns.indices.map { published(Position(row: nil, column: $0)) })
    }

    /// The lines of a table: each column over the rows, and in every row (total row included) each measure
    /// over its parts (its reasons, or the measures it splits into) that the table has.
    static func lines(of table: CountTable) -> [Line] {
        var lines = table.columns.indices.map { column in
            Line(parts: table.rows.indices.map { Position(row: $0, column: column) }, total: Position(row: nil, column: column))
        }
        for (index, column) in table.columns.enumerated() {
            let parts = column.parts.compactMap(table.columns.firstIndex(of:))
            guard !parts.isEmpty else { continue }
            for row in table.rows.indices.map(Optional.some) + [nil] {
                lines.append(Line(parts: parts.map { Position(row: row, column: $0) }, total: Position(row: row, column: index)))
            }
        }
        return lines
    }

    /// The tables of the same referrals (one programme, one month) by every breakdown, protected so that each
    /// withholds the same figures of the total row: a total withheld by one breakdown's secondary suppression and
    /// shown by another's would give away what the first withholds. Total-row figures any of them withholds are
    /// withheld in all, until none adds more.
    public static func protectTogether(_ tables: [CountTable], threshold: Int = defaultThreshold) -> [ProtectedTable] {
        var withheldTotals: Set<Int> = []
        while true {
            let protected = tables.map { protect($0, threshold: threshold, withheldTotals: withheldTotals) }
            let all = Set(protected.flatMap { table in table.totals.indices.filter { table.totals[$0] == .suppressed } })
            if all == withheldTotals { return protected }
            withheldTotals = all
        }
    }

    /// The table of several programmes from each one's protected table (same rows and columns): every figure is
    /// the sum of the programmes' figures, withheld when any of them is. Programmes are protected one by one and
    /// only ever added up, so setting the answers for P1, P2 and P1+P2 side by side tells nothing the programmes'
    /// own tables do not.
    public static func sum(_ programmes: [ProtectedTable]) -> ProtectedTable? {
        guard let first = programmes.first else { return nil }
        func add(_ figures: [PublishedCount]) -> PublishedCount {
            var total = 0
            for figure in figures {
                guard case .count(let count) = figure else { return .suppressed }
                total += count
            }
            return .count(total)
        }
        let cells = first.rows.indices.map { row in first.columns.indices.map { column in add(programmes.map { $0.cells[row][column] }) } }
        let totals = first.columns.indices.map { column in add(programmes.map { $0.totals[column] }) }
        return ProtectedTable(rows: first.rows, columns: first.columns, cells: cells, totals: totals)
    }

    /// A period's table from its months' protected tables (oldest first, same rows and columns): flows add up,
    /// the stock is the last month's; a figure withheld in any month it draws on is withheld.
    public static func combine(_ months: [ProtectedTable]) -> ProtectedTable? {
        guard let last = months.last else { return nil }
        func sum(_ figures: [PublishedCount], stock: Bool) -> PublishedCount {
            if stock { return figures.last ?? .count(0) }
            var total = 0
            for figure in figures {
                guard case .count(let count) = figure else { return .suppressed }
                total += count
            }
            return .count(total)
        }
        let cells = last.rows.indices.map { row in
            last.columns.indices.map { column in sum(months.map { $0.cells[row][column] }, stock: last.columns[column].measure.isStock) }
        }
        let totals = last.columns.indices.map { column in sum(months.map { $0.totals[column] }, stock: last.columns[column].measure.isStock) }
        return ProtectedTable(rows: last.rows, columns: last.columns, cells: cells, totals: totals)
    }

    /// A waiting time as it may be shown: only when at least `minimumForPercentiles` referrals are behind it.
    /// How many is not shown, since that count may be withheld in the table.
    public static func waitingTime(referrals: Int, median: Double, p90: Double) -> WaitingTime? {
        referrals >= minimumForPercentiles ? WaitingTime(medianDays: median, p90Days: p90) : nil
    }
}

/// How long referrals waited, in days: the median and the 90th percentile (nearest rank).
public struct WaitingTime: Sendable, Hashable {
    public let medianDays: Double
    public let p90Days: Double
}
