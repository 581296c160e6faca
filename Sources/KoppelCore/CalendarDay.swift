import Foundation

/// A day written as `YYYY-MM-DD`, as the API and forms take them.
public enum CalendarDay {
    /// Whether `text` is a real day in that form (2026-02-30 is not), years 0001 to 9999, ASCII digits only.
    public static func isValid(_ text: String) -> Bool {
        parts(text) != nil
    }

    /// Year, month and day of a valid day.
    public static func parts(_ text: String) -> (year: Int, month: Int, day: Int)? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), year >= 1, (1...12).contains(month)
        else { return nil }
        guard (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        return (year, month, day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The day it is at `instant` in Amsterdam, where Koppel's organisations work: the one place a moment becomes a day.
    public static func day(at instant: Date, in timeZone: TimeZone = .amsterdam) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }
}

extension TimeZone {
    /// Koppel's days and months are Amsterdam's, in the application and in every database session alike.
    public static let amsterdam = TimeZone(identifier: "Europe/Amsterdam") ?? .gmt
}
