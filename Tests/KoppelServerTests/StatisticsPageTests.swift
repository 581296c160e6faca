import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelTestSupport
import Testing

/// The statistics dashboard and its CSV download, as a funder of Gemeente Den Haag (which funds 2GO) reads them.
@Suite("Statistics page")
struct StatisticsPageTests {
    private func funder(_ client: any TestClientProtocol, _ database: TestDatabase) async throws -> TestBrowser {
        let person = try await TestPeople.make(database, organisation: "gemeente-den-haag", email: "wethouder@denhaag.example", roles: [.funder])
        let browser = TestBrowser(client)
        try await TestPeople.signIn(browser, person)
        return browser
    }

    /// The text of the table cell in the row headed `row` of the table with `id`, column `column` (0 is the first
    /// after the row heading).
    private func cell(_ html: String, table id: String, row: String, column: Int = 0) -> String? {
        guard let start = html.range(of: "<table id=\"\(id)\""), let end = html[start.upperBound...].range(of: "</table>") else { return nil }
        let table = html[start.upperBound..<end.lowerBound]
        guard let line = table.components(separatedBy: "<tr").first(where: { $0.contains("<th scope=\"row\">\(row)</th>") }) else { return nil }
        let cells = line.matches(of: /<td class="number">([^<]*)<\/td>/).map { String($0.output.1) }
        return column < cells.count ? cells[column] : nil
    }

    @Test("a funder's dashboard: charts with their tables, withheld counts as <5, the month's figures by target group, in Dutch and English")
    func dashboard() async throws {
        try await TestApp.run { client, database in
            _ = try await StatisticsAPITests.fileTwoGoMonth(try await ReferralCast.make(client, database), APICall(client: client))
            let browser = try await funder(client, database)
            let month = StatisticsAPITests.thisMonth

            let account = try await browser.get("/account")
            #expect(account.text.contains("id=\"statistics-link\""))

            let page = try await browser.get("/statistics?period=\(month)&breakdown=target_group")
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(page.text.contains("2GO maatjesprojecten"), "the programme Den Haag funds")
            #expect(!page.text.contains("PIMENTA"), "nor one it does not")
            #expect(
                page.text.components(separatedBy: "<svg class=\"chart\" role=\"img\"").count - 1 == 4,
                "received, by target group, occupancy, answered within the response time")
            #expect(cell(page.text, table: "flows-table", row: "Ontvangen") == "8")
            #expect(cell(page.text, table: "flows-table", row: "Geaccepteerd") == "5")
            #expect(cell(page.text, table: "flows-table", row: "Afgewezen") == "&lt;5", "1 decline is withheld")
            // Target groups in the catalogue's order: trafficking, domestic violence, ...
            #expect(cell(page.text, table: "breakdown-table", row: "Ontvangen", column: 0) == "&lt;5", "else 8 - 6 gives the 2 away")
            #expect(cell(page.text, table: "breakdown-table", row: "Ontvangen", column: 1) == "&lt;5")
            #expect(cell(page.text, table: "occupancy-table", row: month) == "5")
            #expect(cell(page.text, table: "waits-table", row: "Totaal") == "–", "no waiting time from fewer than 10 referrals")
            // 6 answered the day they came in: all in time; the 1 decline of domestic violence withholds its row's share.
            #expect(cell(page.text, table: "response-time-table", row: "Totaal", column: 2) == "100,0%")
            #expect(cell(page.text, table: "response-time-table", row: month, column: 0) == "6")
            #expect(cell(page.text, table: "breakdown-table", row: "Beantwoord binnen de reactietermijn", column: 1) == "afgeschermd")
            #expect(page.text.contains("href=\"/statistics/report.csv?period=\(month)&amp;breakdown=target_group&amp;agreement="), "the agreement chosen for the funder")

            let english = try await browser.get("/statistics?period=\(month)&lang=en")
            #expect(cell(english.text, table: "flows-table", row: "Received") == "8")
            #expect(!english.text.contains("id=\"breakdown-table\""), "no breakdown asked for")
            #expect(cell(english.text, table: "response-time-table", row: "Total", column: 2) == "100.0%")

            // The same figures as a file; labels in the reader's language.
            let csv = try await browser.get("/statistics/report.csv?period=\(month)&breakdown=target_group&lang=nl")
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition] == "attachment; filename=\"koppel-statistics-\(month)-\(month).csv\"")
            let lines = csv.text.split(separator: "\r\n")
            #expect(lines.first?.hasPrefix("breakdown,key,label,received,accepted,declined") == true)
            #expect(lines.last?.hasPrefix("target_group,total,Totaal,8,5,<5") == true)
        }
    }

    @Test("the dashboard refuses what it must: a programme not funded (403), a bad period (422, said in Dutch), no sign-in")
    func refusals() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let browser = try await funder(client, database)

            let foreign = try await browser.get("/statistics?programme=\(cast.pimentaID)")
            #expect(foreign.status == .forbidden)
            #expect(try await browser.get("/statistics/report.csv?programme=\(cast.pimentaID)").status == .forbidden)
            let mixed = try await browser.get("/statistics?programme=\(cast.twoGoID)&programme=\(cast.pimentaID)")
            #expect(mixed.status == .forbidden, "one programme not funded refuses the whole request")

            let badPeriod = try await browser.get("/statistics?period=2026-13")
            #expect(badPeriod.status == .unprocessableContent)
            #expect(badPeriod.text.contains("id=\"statistics-error\"") && badPeriod.text.contains("Die periode kennen we niet"))
            #expect(badPeriod.text.contains("value=\"2026-13\""), "what was typed stays in the form")
            let backwards = try await browser.get("/statistics?period=2026&from=2026-06&to=2026-01")
            #expect(backwards.status == .unprocessableContent)
            let finer = try await browser.get("/statistics?breakdown=client")
            #expect(finer.status == .unprocessableContent)
            #expect(finer.text.contains("fijner wordt niet gegeven"))
            #expect(try await browser.get("/statistics/report.csv?period=2026-13").status == .unprocessableContent)

            let range = try await browser.get("/statistics?period=2026&from=2026-01&to=2026-03")
            #expect(range.status == .ok)
            #expect(range.text.contains("<strong>2026-01 – 2026-03</strong>"), "filled-in months win over the period")

            let anonymous = TestBrowser(client)
            let redirected = try await anonymous.get("/statistics")
            #expect(redirected.status == .seeOther && redirected.headers[.location] == "/sign-in")
            #expect(try await anonymous.get("/statistics/report.csv").status == .seeOther)
        }
    }
}
