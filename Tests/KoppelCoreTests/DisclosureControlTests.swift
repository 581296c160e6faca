import Foundation
import KoppelCore
import Testing

/// The disclosure control of funder statistics: the rules on hand-made tables, and an attacker who solves the
/// published figures (each response's lines, and every response for every period of some months together) for
/// the withheld ones, on many random tables, and never pins one down.
@Suite("Disclosure control")
struct DisclosureControlTests {
    static let received = StatisticsColumn(.received)
    static let declined = StatisticsColumn(.declined)
    static let notEligible = StatisticsColumn(.declined, reason: .notEligible)
    static let clientDeclined = StatisticsColumn(.declined, reason: .clientDeclined)
    static let active = StatisticsColumn(.activeAtEnd)
    static let small = [received, declined, notEligible, clientDeclined, active]

    func table(_ rows: [[Int]], columns: [StatisticsColumn] = [received]) -> CountTable {
        CountTable(rows: rows.indices.map { "r\($0)" }, columns: columns, cells: rows)
    }

    @Test("a count from 1 to 4 is withheld, zero and 5 or more are shown; the threshold is a setting")
    func primary() {
        let protected = DisclosureControl.protect(table([[0], [4], [5], [9], [1]]))
        #expect(protected.cells.map { $0[0] } == [.count(0), .suppressed, .count(5), .count(9), .suppressed])
        #expect(protected.totals == [.count(19)])
        let three = DisclosureControl.protect(table([[2], [3], [7], [8]]), threshold: 3)
        #expect(three.cells.map { $0[0] } == [.suppressed, .suppressed, .count(7), .count(8)])
    }

    @Test("one withheld cell in a column: the smallest other count is withheld with it, so the total gives nothing away")
    func secondaryInAColumn() {
        let protected = DisclosureControl.protect(table([[3], [10], [12]]))
        #expect(protected.cells.map { $0[0] } == [.suppressed, .suppressed, .count(12)])
        #expect(protected.totals == [.count(25)])
    }

    @Test("withheld cells that could only all be 1 get company")
    func allOnes() {
        let protected = DisclosureControl.protect(table([[1], [1], [20], [30]]))
        #expect(protected.cells.map { $0[0] } == [.suppressed, .suppressed, .suppressed, .count(30)])
    }

    @Test("a total of 1 to 4 is withheld, and with it a cell, else the cells would give it")
    func smallTotal() {
        let protected = DisclosureControl.protect(table([[0], [3], [0]]))
        #expect(protected.cells.map { $0[0] } == [.count(0), .suppressed, .count(0)])
        #expect(protected.totals == [.suppressed])
    }

    @Test("reasons add up to their measure: one withheld reason takes another with it")
    func reasons() {
        let protected = DisclosureControl.protect(table([[20, 12, 2, 10, 7], [30, 9, 5, 4, 8]], columns: Self.small))
        #expect(protected.cells[0] == [.count(20), .count(12), .suppressed, .suppressed, .count(7)])
        #expect(protected.cells[1][2] == .suppressed && protected.cells[1][3] == .suppressed)
        #expect(protected.totals[0] == .count(50))
    }

    @Test("waiting times are given from 10 referrals on, never below")
    func waitingTimes() {
        #expect(DisclosureControl.waitingTime(referrals: 9, median: 4, p90: 12) == nil)
        let shown = DisclosureControl.waitingTime(referrals: 10, median: 4, p90: 12)
        #expect(shown?.medianDays == 4 && shown?.p90Days == 12)
    }

    @Test("the attacker is not toothless: withholding only the small counts gives them away")
    func attackerFindsPrimaryOnly() {
        let table = table([[3], [10], [12]])
        let primaryOnly = ProtectedTable(
            rows: table.rows, columns: table.columns, cells: [[.suppressed], [.count(10)], [.count(12)]], totals: [.count(25)])
        let attacker = Attacker(months: [(table, primaryOnly)])
        #expect(attacker.withheld.count == 1 && attacker.determines(attacker.withheld[0]))
        let ones = self.table([[1], [1], [20]])
        let twoOnes = ProtectedTable(
            rows: ones.rows, columns: ones.columns, cells: [[.suppressed], [.suppressed], [.count(20)]], totals: [.count(22)])
        #expect(Attacker(months: [(ones, twoOnes)]).determines(Attacker.Cell(month: 0, row: 0, column: 0)))
    }

    @Test("on 300 random tables, no figure from 1 to 4 is shown and no withheld figure can be worked out from the rest")
    func noWithheldFigureCanBeDerived() {
        var generator = SeededGenerator(seed: 20261123)
        var checked = 0
        defer { #expect(checked > 1000, "the random tables withhold enough to test") }
        for _ in 0..<300 {
            let table = Self.randomTable(&generator)
            let protected = DisclosureControl.protect(table)
            let shown = (protected.cells.flatMap { $0 } + protected.totals).compactMap { figure -> Int? in
                if case .count(let count) = figure { return count }
                return nil
            }
            #expect(shown.allSatisfy { $0 == 0 || $0 >= 5 }, "\(table.cells)")
            let attacker = Attacker(months: [(table, protected)])
            checked += attacker.withheld.count
            for cell in attacker.withheld {
                #expect(!attacker.determines(cell), "\(table.cells): cell \(cell) can be worked out")
            }
        }
    }

    @Test("every period of three months asked for, set side by side, gives away no withheld figure of any of them")
    func noWithheldFigureFromOverlappingPeriods() {
        var generator = SeededGenerator(seed: 42)
        var checked = 0
        defer { #expect(checked > 500, "the random months withhold enough to test") }
        for _ in 0..<60 {
            let rows = Int.random(in: 1...3, using: &generator)
            let months = (0..<3).map { _ in Self.randomTable(&generator, rows: rows) }
            let protected = months.map { DisclosureControl.protect($0) }
            var attacker = Attacker(months: Array(zip(months, protected)))
            var responses: [(ClosedRange<Int>, ProtectedTable)] = []
            for first in 0..<3 {
                for last in first..<3 {
                    let response = DisclosureControl.combine(Array(protected[first...last]))!
                    responses.append((first...last, response))
                    attacker.learn(response, months: first...last)
                }
            }
            for (range, response) in responses {
                for (position, figure) in Attacker.figures(of: response) where figure == .suppressed {
                    checked += 1
                    #expect(!attacker.determines(position, over: range), "\(months.map(\.cells)) \(range) \(position) can be worked out")
                }
            }
        }
    }

    static func randomTable(_ generator: inout SeededGenerator, rows: Int? = nil) -> CountTable {
        let count = rows ?? Int.random(in: 1...4, using: &generator)
        let cells = (0..<count).map { _ -> [Int] in
            func draw() -> Int { Int.random(in: 0...3, using: &generator) == 0 ? 0 : Int.random(in: 1...9, using: &generator) }
            let (notEligible, clientDeclined) = (draw(), draw())
            return [draw(), notEligible + clientDeclined, notEligible, clientDeclined, draw()]
        }
        return CountTable(rows: (0..<count).map { "r\($0)" }, columns: small, cells: cells)
    }
}

/// Someone who knows every published figure, that withheld figures are not zero, and how the figures add up, and
/// tries to pin down a withheld one: a small integer search for a second solution in which it differs.
struct Attacker {
    /// A figure of month `month`: `row == nil` is the total row.
    struct Cell: Hashable, CustomStringConvertible {
        let month: Int
        let row: Int?
        let column: Int
        var description: String { "m\(month) r\(row.map(String.init) ?? "total") c\(column)" }
    }

    /// Σ coefficients × unknowns + constant = 0.
    struct Equation {
        var terms: [Int: Int]
        var constant: Int
    }

    let truth: [Cell: Int]
    let columns: [StatisticsColumn]
    private(set) var withheld: [Cell] = []
    private var index: [Cell: Int] = [:]
    private var equations: [Equation] = []
    private let bound: Int

    init(months: [(CountTable, ProtectedTable)]) {
        var truth: [Cell: Int] = [:]
        columns = months[0].0.columns
        for (month, (table, protected)) in months.enumerated() {
            let totals = table.totals
            for (position, figure) in Self.figures(of: protected) {
                let cell = Cell(month: month, row: position.row, column: position.column)
                truth[cell] = position.row.map { table[$0, position.column] } ?? totals[position.column]
                if figure == .suppressed {
                    index[cell] = withheld.count
                    withheld.append(cell)
                }
            }
        }
        self.truth = truth
        bound = (truth.values.max() ?? 0) * 2 + 5
        for month in months.indices {
            let table = months[month].0
            let rowsAndTotal = table.rows.indices.map(Optional.some) + [nil]
            // Each column adds up over the rows; each measure over its reasons, and answers over in time and late.
            for column in table.columns.indices {
                add(table.rows.indices.map { Cell(month: month, row: $0, column: column) }, equals: Cell(month: month, row: nil, column: column))
            }
            for (measureColumn, column) in table.columns.enumerated() where column.reason == nil {
                let reasons = table.columns.indices.filter {
                    (table.columns[$0].measure == column.measure && table.columns[$0].reason != nil)
                        || (column.measure == .answered && [.answeredInTime, .answeredLate].contains(table.columns[$0].measure))
                }
                guard !reasons.isEmpty else { continue }
                for row in rowsAndTotal {
                    add(reasons.map { Cell(month: month, row: row, column: $0) }, equals: Cell(month: month, row: row, column: measureColumn))
                }
            }
        }
    }

    static func figures(of table: ProtectedTable) -> [(position: (row: Int?, column: Int), figure: PublishedCount)] {
        var figures: [(position: (row: Int?, column: Int), figure: PublishedCount)] = []
        for row in table.rows.indices {
            for column in table.columns.indices { figures.append(((row, column), table.cells[row][column])) }
        }
        for column in table.columns.indices { figures.append(((nil, column), table.totals[column])) }
        return figures
    }

    private mutating func add(_ parts: [Cell], equals total: Cell) {
        var equation = Equation(terms: [:], constant: 0)
        for (cell, sign) in parts.map({ ($0, 1) }) + [(total, -1)] {
            if let variable = index[cell] { equation.terms[variable, default: 0] += sign } else { equation.constant += sign * truth[cell]! }
        }
        if !equation.terms.isEmpty { equations.append(equation) }
    }

    /// Adds what a response for the months in `range` publishes: each shown figure is the sum of its months
    /// (the last month's, for the stock).
    mutating func learn(_ response: ProtectedTable, months range: ClosedRange<Int>) {
        for (position, figure) in Self.figures(of: response) {
            guard case .count(let count) = figure else { continue }
            var equation = Equation(terms: [:], constant: -count)
            for month in months(of: position.column, in: range) {
                let cell = Cell(month: month, row: position.row, column: position.column)
                if let variable = index[cell] { equation.terms[variable, default: 0] += 1 } else { equation.constant += truth[cell]! }
            }
            if !equation.terms.isEmpty { equations.append(equation) }
        }
    }

    private func months(of column: Int, in range: ClosedRange<Int>) -> [Int] {
        columns[column].measure.isStock ? [range.upperBound] : Array(range)
    }

    func determines(_ cell: Cell) -> Bool {
        determines(form: [index[cell]!: 1], constant: 0)
    }

    /// Whether the figure at `position` for the months in `range` can be worked out.
    func determines(_ position: (row: Int?, column: Int), over range: ClosedRange<Int>) -> Bool {
        var form: [Int: Int] = [:]
        var constant = 0
        for month in months(of: position.column, in: range) {
            let cell = Cell(month: month, row: position.row, column: position.column)
            if let variable = index[cell] { form[variable, default: 0] += 1 } else { constant += truth[cell]! }
        }
        return determines(form: form, constant: constant)
    }

    /// True when every solution gives `form` its true value: tries the values nearest the truth first.
    private func determines(form: [Int: Int], constant: Int) -> Bool {
        let truthValue = form.reduce(constant) { $0 + $1.value * truth[withheld[$1.key]]! }
        let reach = form.values.reduce(0) { $0 + abs($1) } * bound
        for distance in 1...max(1, reach) {
            for other in [truthValue + distance, truthValue - distance] {
                var trial = equations
                trial.append(Equation(terms: form, constant: constant - other))
                if Self.feasible(trial, variables: withheld.count, bound: bound) { return false }
            }
        }
        return true
    }

    /// Whether some assignment of 1...bound to every variable satisfies all equations: bounds propagated through
    /// the equations to a fixpoint, then a search on the variable with the fewest values left.
    static func feasible(_ equations: [Equation], variables: Int, bound: Int) -> Bool {
        var low = [Int](repeating: 1, count: variables), high = [Int](repeating: bound, count: variables)
        func propagate(_ low: inout [Int], _ high: inout [Int]) -> Bool {
            var changed = true
            while changed {
                changed = false
                for equation in equations {
                    // Σ c·x + k = 0: each x is bounded by what the others can reach.
                    var least = equation.constant, most = equation.constant
                    for (variable, coefficient) in equation.terms {
                        least += coefficient > 0 ? coefficient * low[variable] : coefficient * high[variable]
                        most += coefficient > 0 ? coefficient * high[variable] : coefficient * low[variable]
                    }
                    if least > 0 || most < 0 { return false }
                    for (variable, coefficient) in equation.terms {
                        let own = (coefficient > 0 ? coefficient * low[variable] : coefficient * high[variable],
                                   coefficient > 0 ? coefficient * high[variable] : coefficient * low[variable])
                        let restLeast = least - own.0, restMost = most - own.1
                        // c·x must lie in [-restMost, -restLeast].
                        let (from, to) = (-restMost, -restLeast)
                        let newLow = coefficient > 0 ? Int((Double(from) / Double(coefficient)).rounded(.up)) : Int((Double(to) / Double(coefficient)).rounded(.up))
                        let newHigh = coefficient > 0 ? Int((Double(to) / Double(coefficient)).rounded(.down)) : Int((Double(from) / Double(coefficient)).rounded(.down))
                        if newLow > low[variable] { low[variable] = newLow; changed = true }
                        if newHigh < high[variable] { high[variable] = newHigh; changed = true }
                        if low[variable] > high[variable] { return false }
                    }
                }
            }
            return true
        }
        func search(_ low: [Int], _ high: [Int]) -> Bool {
            var low = low, high = high
            guard propagate(&low, &high) else { return false }
            let open = (0..<variables).filter { low[$0] < high[$0] }
            guard let pick = open.min(by: { high[$0] - low[$0] < high[$1] - low[$1] }) else { return true }
            for value in low[pick]...high[pick] {
                var (l, h) = (low, high)
                (l[pick], h[pick]) = (value, value)
                if search(l, h) { return true }
            }
            return false
        }
        return search(low, high)
    }
}

/// A small deterministic generator, so a failing table can be found again.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
