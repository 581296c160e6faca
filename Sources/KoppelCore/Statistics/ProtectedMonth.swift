/// One unit's month protected by every breakdown together (`DisclosureControl.protectTogether`). Once the month is
/// settled its counts no longer change, so neither does this: PostgreSQL keeps it beside the counts it was made from
/// (decision 0025), and a later report reads it instead of the month's counts.
public struct ProtectedMonth: Sendable, Hashable {
    /// One table per breakdown, in `StatisticsReport.protectedTogether` order (those the report has rows for).
    public let tables: [ProtectedTable]

    public init(tables: [ProtectedTable]) {
        self.tables = tables
    }

    /// What the tables were protected with besides the counts: the rule's version, the threshold, every breakdown's
    /// rows and the columns. Kept figures serve only a report of the same shape; any other is protected afresh.
    public static func shape(rows: [StatisticsBreakdown: [String]], threshold: Int, columns: [StatisticsColumn] = StatisticsColumn.all) -> String {
        let breakdowns = StatisticsReport.protectedTogether.filter { rows[$0] != nil }.map { "\($0.rawValue)=\(rows[$0]!.joined(separator: ","))" }
        return (["rule=\(DisclosureControl.version)", "threshold=\(threshold)", "columns=\(columns.map(\.key).joined(separator: ","))"] + breakdowns)
            .joined(separator: "\n")
    }

    /// The figures as integers, as kept: each table's cells row by row and then its totals; a withheld figure is -1.
    public var figures: [Int] {
        tables.flatMap { table in (table.cells.joined() + table.totals).map(Self.integer) }
    }

    /// Kept figures as PostgreSQL writes them joined by commas (`array_to_string`); nil when anything else is written.
    /// Read byte by byte: decoding a year's 8,000 figures as an array, or splitting the text into strings, cost the
    /// server more than the rest of the report.
    public static func figures(written text: String) -> [Int]? {
        var figures: [Int] = []
        var value = 0
        var digits = 0
        var negative = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard digits < 18 else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            case UInt8(ascii: "-") where digits == 0 && !negative:
                negative = true
            case UInt8(ascii: ","):
                guard digits > 0 else { return nil }
                figures.append(negative ? -value : value)
                (value, digits, negative) = (0, 0, false)
            default:
                return nil
            }
        }
        if digits > 0 {
            figures.append(negative ? -value : value)
        } else if negative || !figures.isEmpty {
            return nil
        }
        return figures
    }

    /// The month from kept `figures`, given the rows and columns it was protected with; nil when they do not fit.
    public init?(figures: [Int], rows: [StatisticsBreakdown: [String]], columns: [StatisticsColumn] = StatisticsColumn.all) {
        var next = figures[...]
        var tables: [ProtectedTable] = []
        for breakdown in StatisticsReport.protectedTogether {
            guard let rowNames = rows[breakdown] else { continue }
            let size = (rowNames.count + 1) * columns.count
            guard next.count >= size else { return nil }
            let published = next.prefix(size).map(Self.published)
            next = next.dropFirst(size)
            guard !published.contains(nil) else { return nil }
            let counts = published.map { $0! }
            let cells = rowNames.indices.map { Array(counts[($0 * columns.count)..<(($0 + 1) * columns.count)]) }
            tables.append(ProtectedTable(rows: rowNames, columns: columns, cells: cells, totals: Array(counts.suffix(columns.count))))
        }
        guard next.isEmpty else { return nil }
        self.tables = tables
    }

    private static func integer(_ figure: PublishedCount) -> Int {
        switch figure {
        case .count(let count): count
        case .suppressed: -1
        }
    }

    private static func published(_ integer: Int) -> PublishedCount? {
        switch integer {
        case -1: .suppressed
        case 0...: .count(integer)
        default: nil
        }
    }
}
