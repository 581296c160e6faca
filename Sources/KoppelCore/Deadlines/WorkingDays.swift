/// Counting in working days: weekends and the public holidays of one country do not count.
public struct WorkingDays: Sendable {
    public let country: HolidayCountry?

    /// `country` nil: weekends only.
    public init(country: HolidayCountry?) { self.country = country }

    public func isWorkingDay(_ day: Day) -> Bool {
        guard !day.isWeekend else { return false }
        guard let country else { return true }
        return !PublicHolidays.days(in: day.year, country: country).contains(day)
    }

    /// The working day `count` working days after `start` (the start day itself never counts, so a referral filed on
    /// a Saturday and one filed on the Monday after are both due the same number of working days past that Monday).
    public func adding(_ count: Int, to start: Day) -> Day {
        var day = start
        var left = max(0, count)
        // Years of holidays are computed once per year crossed, not once per day.
        var holidays: (year: Int, days: Set<Day>)?
        while left > 0 {
            day = day.adding(days: 1)
            guard !day.isWeekend else { continue }
            if let country {
                if holidays?.year != day.year { holidays = (day.year, PublicHolidays.days(in: day.year, country: country)) }
                if holidays!.days.contains(day) { continue }
            }
            left -= 1
        }
        return day
    }
}
