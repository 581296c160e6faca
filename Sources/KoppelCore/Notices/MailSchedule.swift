/// When a notice's mail is tried again after a server did not take it: soon at first (a mail server restarting), then
/// at most every five minutes, for as long as it takes. A mail is dropped only when the server refuses it for good.
public enum MailSchedule {
    public static let first: Duration = .seconds(5)
    public static let longest: Duration = .seconds(300)

    /// The wait after the `attempts`-th try failed.
    public static func retryDelay(after attempts: Int) -> Duration {
        let doublings = min(max(attempts - 1, 0), 16)
        return min(first * (1 << doublings), longest)
    }
}
