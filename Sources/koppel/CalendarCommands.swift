import ArgumentParser
import Foundation
import KoppelCore

/// `koppel calendar`: the working-day calendar deadlines are counted in, to check it against other sources.
struct CalendarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar", abstract: "The public holidays deadlines skip.", subcommands: [Holidays.self])

    struct Holidays: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the public holidays of a country, one `YYYY-MM-DD key` a line.")

        @Option(help: "NL or BE.") var country: String
        @Option(help: "First year.") var from: Int
        @Option(help: "Last year.") var through: Int

        func run() async throws {
            guard let holidayCountry = HolidayCountry(isoCode: country) else {
                throw ValidationError("--country must be NL or BE")
            }
            guard (1583...9999).contains(from), (from...9999).contains(through), through - from < 1000 else {
                throw ValidationError("--from and --through must be Gregorian years, from first to last, at most 1000 years apart")
            }
            for year in from...through {
                for holiday in PublicHolidays.named(in: year, country: holidayCountry) { print("\(holiday.day) \(holiday.key)") }
            }
        }
    }
}
