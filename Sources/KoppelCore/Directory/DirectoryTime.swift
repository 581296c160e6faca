import Foundation

/// Dates and times as HSDS writes them: RFC 3339 date-times and plain days (`assured_date`), days in Amsterdam.
public enum DirectoryTime {
    static let amsterdam = TimeZone(identifier: "Europe/Amsterdam")!

    /// A moment from a date-time with its offset, or from a day (its midnight in Amsterdam); nil for anything else.
    public static func moment(_ text: String) -> Date? {
        guard text.count <= 40 else { return nil }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) ?? withFraction.date(from: text) { return date }
        guard CalendarDay.isValid(text) else { return nil }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        day.timeZone = amsterdam
        return day.date(from: text)
    }

    /// `2026-03-01T09:00:00Z`.
    public static func dateTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// The day in Amsterdam, `2026-03-01`.
    public static func day(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        formatter.timeZone = amsterdam
        return formatter.string(from: date)
    }
}
