import Foundation

/// When a webhook delivery is tried (Standard Webhooks' schedule): at once, then after 5 seconds, 5 minutes,
/// 30 minutes, 2 hours, 5 hours, 10 hours and 10 hours, each wait spread by up to a tenth either way so that
/// receivers coming back are not hit by every sender at once. After the last, the delivery is dead: an org-admin
/// sees it and may send it again.
public enum DeliverySchedule {
    public static let waits: [Duration] = [
        .zero, .seconds(5), .seconds(5 * 60), .seconds(30 * 60), .seconds(2 * 3600), .seconds(5 * 3600), .seconds(10 * 3600), .seconds(10 * 3600),
    ]

    /// A subscription whose deliveries have failed this long without a success is disabled.
    public static let disableAfter: Duration = .seconds(5 * 24 * 3600)

    /// When to try again after `attempts` tries have failed, or nil when the delivery is dead. `jitter` is from -1 to 1.
    public static func nextAttempt(after attempts: Int, failedAt: Date, jitter: Double) -> Date? {
        guard attempts >= 1, attempts < waits.count else { return nil }
        let seconds = Double(waits[attempts].components.seconds)
        return failedAt.addingTimeInterval(seconds * (1 + 0.1 * max(-1, min(1, jitter))))
    }
}
