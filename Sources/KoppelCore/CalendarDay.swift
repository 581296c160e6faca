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
        Day(at: instant, in: timeZone).description
    }
}

extension Day {
    /// The day it is at `instant` in `timeZone`: its offset from UTC at that moment, then days since 1970 counted on.
    /// Every answer and deadline asks for today, and a `Calendar` made and asked each time cost a submission 2% of the
    /// server's CPU.
    public init(at instant: Date, in timeZone: TimeZone = .amsterdam) {
        let local = instant.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: instant))
        self.init(ordinal: Int((local / 86_400).rounded(.down)))
    }
}

extension TimeZone {
    /// Koppel's days and months are Amsterdam's, in the application and in every database session alike.
    public static let amsterdam = TimeZone(identifier: "Europe/Amsterdam") ?? .gmt
}
