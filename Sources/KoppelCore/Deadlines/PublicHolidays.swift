/// The countries whose public holidays Koppel counts deadlines around: where its programmes are run.
public enum HolidayCountry: String, Sendable, CaseIterable {
    case netherlands = "NL"
    case belgium = "BE"

    /// A programme follows its operator's country; any other country counts weekends only.
    public init?(isoCode: String) { self.init(rawValue: isoCode.uppercased()) }
}

/// Public holidays, computed rather than listed, so that no year runs out. The feasts follow the sets the `holidays`
/// package on PyPI gives for these countries (a test compares 2020–2040).
public enum PublicHolidays {
    public static func days(in year: Int, country: HolidayCountry) -> Set<Day> {
        Set(named(in: year, country: country).map(\.day))
    }

    /// Each holiday and its name's catalogue key (`holiday.<key>`).
    public static func named(in year: Int, country: HolidayCountry) -> [(day: Day, key: String)] {
        guard let easter = easterSunday(in: year) else { return [] }
        func fixed(_ month: Int, _ day: Int) -> Day { Day(year: year, month: month, day: day)! }
        let moveable: [(Day, String)] = [
            (easter, "easter"), (easter.adding(days: 1), "easter_monday"), (easter.adding(days: 39), "ascension"),
            (easter.adding(days: 49), "pentecost"), (easter.adding(days: 50), "pentecost_monday"),
        ]
        switch country {
        case .netherlands:
            var days = moveable + [
                (fixed(1, 1), "new_year"), (easter.adding(days: -2), "good_friday"), (kingsDay(in: year), "kings_day"),
                (fixed(12, 25), "christmas"), (fixed(12, 26), "second_christmas"),
            ]
            // A national day off in the lustrum years only (every fifth), as the Netherlands observes it.
            if year % 5 == 0 { days.append((fixed(5, 5), "liberation_day")) }
            return days.sorted { $0.0 < $1.0 }.map { (day: $0.0, key: $0.1) }
        case .belgium:
            let days = moveable + [
                (fixed(1, 1), "new_year"), (fixed(5, 1), "labour_day"), (fixed(7, 21), "national_day"),
                (fixed(8, 15), "assumption"), (fixed(11, 1), "all_saints"), (fixed(11, 11), "armistice"),
                (fixed(12, 25), "christmas"),
            ]
            return days.sorted { $0.0 < $1.0 }.map { (day: $0.0, key: $0.1) }
        }
    }

    /// Koningsdag: 27 April, or the 26th when the 27th is a Sunday.
    static func kingsDay(in year: Int) -> Day {
        let day = Day(year: year, month: 4, day: 27)!
        return day.weekday == 7 ? day.adding(days: -1) : day
    }

    /// Western Easter Sunday, by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    public static func easterSunday(in year: Int) -> Day? {
        let a = year % 19, b = year / 100, c = year % 100
        let d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return Day(year: year, month: month, day: day)
    }
}
