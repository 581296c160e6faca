import Foundation
import KoppelCore
import Testing

/// The share answered within the response time: worked out from published counts only, and the counts it comes from
/// protected as a line (answered = in time + late), so that neither they nor the share give a small count away.
@Suite("Answered within the response time")
struct AnsweredInTimeTests {
    static let received = StatisticsColumn(.received)
    static let answered = StatisticsColumn(.answered)
    static let inTime = StatisticsColumn(.answeredInTime)
    static let late = StatisticsColumn(.answeredLate)
    static let columns = [received, answered, inTime, late]

    /// One row per `[in time, late]`, received beside them; answered is their sum.
    func table(_ rows: [[Int]], received: Int = 30) -> CountTable {
        CountTable(rows: rows.indices.map { "r\($0)" }, columns: Self.columns, cells: rows.map { [received, $0[0] + $0[1], $0[0], $0[1]] })
    }

    @Test("the share of two published counts, in percent to one decimal")
    func share() {
        #expect(DisclosureControl.share(.count(9), of: .count(12)) == .percent(75))
        #expect(DisclosureControl.share(.count(2), of: .count(3)) == .percent(66.7))
        #expect(DisclosureControl.share(.count(0), of: .count(7)) == .percent(0))
        #expect(DisclosureControl.share(.count(7), of: .count(7)) == .percent(100))
    }

    @Test("withheld when either count is withheld; none when nothing was answered")
    func withheldOrNone() {
        #expect(DisclosureControl.share(.suppressed, of: .count(12)) == .suppressed)
        #expect(DisclosureControl.share(.count(9), of: .suppressed) == .suppressed)
        #expect(DisclosureControl.share(.suppressed, of: .suppressed) == .suppressed)
        #expect(DisclosureControl.share(.count(0), of: .count(0)) == nil)
    }

    @Test("found by column: answered_in_time of answered, in any row of figures; none in a table without them")
    func byColumn() {
        let figures: [PublishedCount] = [.count(30), .count(20), .count(15), .count(5)]
        #expect(DisclosureControl.answeredInTime(figures, columns: Self.columns) == .percent(75))
        #expect(DisclosureControl.answeredInTime([.count(30)], columns: [Self.received]) == nil)
    }

    @Test("a small late count is withheld and takes the in-time count with it, so the share is withheld too")
    func smallLateCount() {
        let protected = DisclosureControl.protect(table([[10, 2]]))
        #expect(protected.totals == [.count(30), .count(12), .suppressed, .suppressed], "else 12 - 10 gives the 2 late away")
        #expect(DisclosureControl.answeredInTime(protected.totals, columns: Self.columns) == .suppressed)
        let enough = DisclosureControl.protect(table([[15, 5]]))
        #expect(DisclosureControl.answeredInTime(enough.totals, columns: Self.columns) == .percent(75))
    }

    @Test("a month withheld withholds the share of a period that draws on it")
    func periods() {
        let months = [DisclosureControl.protect(table([[15, 5]])), DisclosureControl.protect(table([[3, 0]]))]
        let period = DisclosureControl.combine(months)!
        #expect(DisclosureControl.answeredInTime(months[0].totals, columns: Self.columns) == .percent(75))
        #expect(DisclosureControl.answeredInTime(months[1].totals, columns: Self.columns) == .suppressed)
        #expect(DisclosureControl.answeredInTime(period.totals, columns: Self.columns) == .suppressed)
    }

    @Test("on 300 random tables of answers, no withheld count can be worked out from the rest")
    func noWithheldAnswerCanBeDerived() {
        var generator = SeededGenerator(seed: 2026_04_13)
        var checked = 0
        defer { #expect(checked > 500, "the random tables withhold enough to test") }
        for _ in 0..<300 {
            func draw() -> Int { Int.random(in: 0...3, using: &generator) == 0 ? 0 : Int.random(in: 1...9, using: &generator) }
            let rows = (0..<Int.random(in: 1...4, using: &generator)).map { _ in [draw(), draw()] }
            let counts = table(rows, received: 0)
            let protected = DisclosureControl.protect(counts)
            let attacker = Attacker(months: [(counts, protected)])
            checked += attacker.withheld.count
            for cell in attacker.withheld {
                #expect(!attacker.determines(cell), "\(counts.cells): cell \(cell) can be worked out")
            }
        }
    }
}
