import Foundation

/// Koppel's one clock: what time it is for the application and, through `koppel.now` in every transaction, for the
/// database (decision 0014). Nothing else asks the system for the time. The clock of a request or background task is
/// `WallClock.current`; the server binds its own to every request, and tests bind one they move.
public struct WallClock: Sendable {
    private let reading: @Sendable () -> Date

    public init(_ reading: @escaping @Sendable () -> Date) {
        self.reading = reading
    }

    /// The system's time.
    public static let system = WallClock { Date() }

    /// Always `instant`.
    public static func fixed(_ instant: Date) -> WallClock { WallClock { instant } }

    public func now() -> Date { reading() }

    /// Today in Amsterdam, `YYYY-MM-DD`.
    public func today() -> String { CalendarDay.day(at: now()) }

    /// The clock of the running task.
    @TaskLocal public static var current: WallClock = .system
}

extension Day {
    /// Today in Amsterdam on the task's clock: the day `koppel_today()` gives in the same transaction.
    public static func today() -> Day {
        Day(at: WallClock.current.now())
    }
}
