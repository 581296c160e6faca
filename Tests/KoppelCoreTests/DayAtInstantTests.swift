import Foundation
import KoppelCore
import Testing

/// The day an instant falls on, counted from the time zone's offset, is the day Foundation's calendar gives.
@Suite("The day of an instant")
struct DayAtInstantTests {
    private func calendarDay(_ instant: Date, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return Day(year: parts.year!, month: parts.month!, day: parts.day!)!.description
    }

    @Test("around midnight and the clock changes in Amsterdam, and in zones east and west, as the calendar says")
    func agreesWithTheCalendar() throws {
        let zones = try ["Europe/Amsterdam", "Europe/Brussels", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"]
            .map { try #require(TimeZone(identifier: $0)) }
        var instants: [Date] = []
        // Every half hour either side of midnight and of the changes to and from summer time in 2026 (29 March, 25 October).
        for midnight in ["2026-03-28T22:00:00Z", "2026-03-29T00:00:00Z", "2026-10-24T22:00:00Z", "2026-10-25T00:00:00Z", "2026-12-31T22:00:00Z"] {
            let start = try #require(ISO8601DateFormatter().date(from: midnight))
            instants += (-8...8).map { start.addingTimeInterval(Double($0) * 1_800) }
        }
        // A second either side of midnight in Amsterdam, winter and summer.
        for edge in ["2026-01-14T23:00:00Z", "2026-07-14T22:00:00Z"] {
            let start = try #require(ISO8601DateFormatter().date(from: edge))
            instants += [-1, 0, 1].map { start.addingTimeInterval(Double($0)) }
        }
        // And days from 1950 to 2100, a prime number of seconds apart, before 1970 included.
        var instant = try #require(ISO8601DateFormatter().date(from: "1950-01-01T00:00:00Z"))
        while instant.timeIntervalSince1970 < 4_102_444_800 {
            instants.append(instant)
            instant.addTimeInterval(1_000_003)
        }
        for zone in zones {
            for instant in instants {
                #expect(Day(at: instant, in: zone).description == calendarDay(instant, zone), "\(instant) in \(zone.identifier)")
            }
        }
        #expect(CalendarDay.day(at: try #require(ISO8601DateFormatter().date(from: "2026-03-28T23:30:00Z"))) == "2026-03-29")
    }
}
