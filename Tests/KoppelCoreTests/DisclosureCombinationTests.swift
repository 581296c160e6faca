import Foundation
import KoppelCore
import Testing

/// A funder asks for every combination of the programmes they fund, by every breakdown, and sets the answers side
/// by side: P1, P2 and P1+P2 must not give away a figure withheld in P1 by subtraction, nor a total withheld by one
/// breakdown and shown by another.
@Suite("Disclosure control across programmes and breakdowns")
struct DisclosureCombinationTests {
    typealias Equation = Attacker.Equation

    /// One programme's month, by a grid of two breakdowns (A with 2 values, B with 3): every table is a sum of the grid.
    struct Month {
        let grid: [[[Int]]]

        static func random(_ generator: inout SeededGenerator) -> Month {
            func draw() -> Int { Int.random(in: 0...2, using: &generator) == 0 ? 0 : Int.random(in: 1...7, using: &generator) }
            return Month(grid: (0..<2).map { _ in
                (0..<3).map { _ in
                    let (notEligible, clientDeclined) = (draw(), draw())
                    return [draw(), notEligible + clientDeclined, notEligible, clientDeclined, draw()]
                }
            })
        }

        /// The tables by breakdown: total, A, B.
        var tables: [CountTable] {
            func add(_ vectors: [[Int]]) -> [Int] { vectors.dropFirst().reduce(vectors[0]) { zip($0, $1).map(+) } }
            let byA = grid.map(add)
            let byB = (0..<3).map { b in add(grid.map { $0[b] }) }
            return [
                CountTable(rows: ["total"], columns: DisclosureControlTests.small, cells: [add(byA)]),
                CountTable(rows: ["a0", "a1"], columns: DisclosureControlTests.small, cells: byA),
                CountTable(rows: ["b0", "b1", "b2"], columns: DisclosureControlTests.small, cells: byB),
            ]
        }
    }

    /// A figure: programme `programme`'s row `row` (nil: the total row, the same in every breakdown) of breakdown `table`.
    struct Cell: Hashable, CustomStringConvertible {
        let programme: Int
        let table: Int?
        let row: Int?
        let column: Int
        var description: String { "p\(programme) t\(table.map(String.init) ?? "-") r\(row.map(String.init) ?? "total") c\(column)" }

        init(programme: Int, table: Int, row: Int?, column: Int) {
            self.programme = programme
            self.table = row == nil ? nil : table
            self.row = row
            self.column = column
        }
    }

    @Test("a programme asked for twice counts once, so its figures are never added up twice past suppression")
    func programmeOnce() throws {
        let programme = UUID()
        let actor = Actor(userID: UUID(), organisationID: UUID(), roles: [.hubAdmin])
        let scope = try StatisticsAccess.scope(
            actor, requested: [programme, programme, programme], all: [programme], agreements: [], period: StatisticsPeriod(first: "2026-01", last: "2026-12")!
        ).get()
        #expect(scope.programmes == [programme])
    }

    @Test("the total row of a programme's month is withheld alike in every breakdown")
    func totalsAgree() {
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<200 {
            let protected = DisclosureControl.protectTogether(Month.random(&generator).tables)
            #expect(Set(protected.map(\.totals)).count == 1)
        }
    }

    @Test("every combination of three programmes by every breakdown, set side by side, gives away no withheld figure")
    func noWithheldFigureFromCombinations() {
        var generator = SeededGenerator(seed: 2026_12_06)
        var checked = 0
        defer { #expect(checked > 300, "the random months withhold enough to test") }
        for _ in 0..<25 {
            let months = (0..<3).map { _ in Month.random(&generator) }
            let truths = months.map(\.tables)
            let protected = truths.map { DisclosureControl.protectTogether($0) }
            var truth: [Cell: Int] = [:]
            var withheld: [Cell] = []
            for programme in truths.indices {
                for (table, counts) in truths[programme].enumerated() {
                    let totals = counts.totals
                    for row in counts.rows.indices.map(Optional.some) + [nil] {
                        for column in counts.columns.indices {
                            let cell = Cell(programme: programme, table: table, row: row, column: column)
                            truth[cell] = row.map { counts[$0, column] } ?? totals[column]
                            let figure = row.map { protected[programme][table].cells[$0][column] } ?? protected[programme][table].totals[column]
                            if figure == .suppressed, !withheld.contains(cell) { withheld.append(cell) }
                        }
                    }
                }
            }
            let index = Dictionary(uniqueKeysWithValues: withheld.enumerated().map { ($1, $0) })
            var equations: [Equation] = []
            func add(_ parts: [(Cell, Int)], constant: Int = 0) {
                var equation = Equation(terms: [:], constant: constant)
                for (cell, sign) in parts {
                    if let variable = index[cell] { equation.terms[variable, default: 0] += sign } else { equation.constant += sign * truth[cell]! }
                }
                if !equation.terms.isEmpty { equations.append(equation) }
            }
            // How the figures add up, in every table of every programme.
            let columns = DisclosureControlTests.small
            for programme in truths.indices {
                for (table, counts) in truths[programme].enumerated() {
                    for column in columns.indices {
                        add(counts.rows.indices.map { (Cell(programme: programme, table: table, row: $0, column: column), 1) }
                            + [(Cell(programme: programme, table: table, row: nil, column: column), -1)])
                    }
                    for row in counts.rows.indices.map(Optional.some) + [nil] {
                        add([2, 3].map { (Cell(programme: programme, table: table, row: row, column: $0), 1) }
                            + [(Cell(programme: programme, table: table, row: row, column: 1), -1)])
                    }
                }
            }
            // Every answer for every combination of programmes, by every breakdown.
            for mask in 1..<8 {
                let chosen = (0..<3).filter { mask & (1 << $0) != 0 }
                for table in 0..<3 {
                    let answer = DisclosureControl.sum(chosen.map { protected[$0][table] })!
                    for row in answer.rows.indices.map(Optional.some) + [nil] {
                        for column in columns.indices {
                            guard case .count(let count) = row.map({ answer.cells[$0][column] }) ?? answer.totals[column] else { continue }
                            add(chosen.map { (Cell(programme: $0, table: table, row: row, column: column), 1) }, constant: -count)
                        }
                    }
                }
            }
            let bound = (truth.values.max() ?? 0) * 3 + 5
            for cell in withheld {
                checked += 1
                let value = truth[cell]!
                var pinned = true
                for other in (1...bound) where other != value {
                    var trial = equations
                    trial.append(Equation(terms: [index[cell]!: 1], constant: -other))
                    if Attacker.feasible(trial, variables: withheld.count, bound: bound) {
                        pinned = false
                        break
                    }
                }
                #expect(!pinned, "\(months.map(\.grid)): \(cell) = \(value) can be worked out")
            }
        }
    }
}
