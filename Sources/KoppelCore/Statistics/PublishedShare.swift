/// A share as it may be shown: a percentage worked out from two published counts, or withheld.
public enum PublishedShare: Sendable, Hashable {
    /// From 0 to 100, to one decimal.
    case percent(Double)
    case suppressed
}

extension DisclosureControl {
    /// The share `part` is of `whole`, from published figures alone: withheld when either is, since a share and one
    /// of its counts give the other away; none of nothing (`whole` zero). Rounded here, once, for every reader.
    public static func share(_ part: PublishedCount, of whole: PublishedCount) -> PublishedShare? {
        guard case .count(let whole) = whole else { return .suppressed }
        guard whole > 0 else { return nil }
        guard case .count(let part) = part else { return .suppressed }
        return .percent((Double(part) * 1000 / Double(whole)).rounded() / 10)
    }

    /// Answered within the response time: of the programme's first answers (`answered`), the share given on or before
    /// the due day (`answered_in_time`), in one row of published figures laid out as `columns`.
    public static func answeredInTime(_ figures: [PublishedCount], columns: [StatisticsColumn]) -> PublishedShare? {
        guard let answered = columns.firstIndex(of: StatisticsColumn(.answered)),
            let inTime = columns.firstIndex(of: StatisticsColumn(.answeredInTime))
        else { return nil }
        return share(figures[inTime], of: figures[answered])
    }
}
