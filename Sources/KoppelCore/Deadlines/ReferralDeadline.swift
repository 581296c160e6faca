/// What a programme promises, in working days: to answer a referral, to start after accepting, to look again at a
/// waiting-list place. Counted in its operator's country.
public struct ResponseTerms: Sendable, Hashable {
    public static let defaultResponseDays = 5
    public static let defaultStartDays = 20
    public static let defaultReviewDays = 20
    /// What a programme may set: a deadline of a day up to a quarter of a year.
    public static let allowedDays = 1...60

    public var responseDays: Int
    public var startDays: Int
    public var reviewDays: Int
    public var country: HolidayCountry?

    public init(
        responseDays: Int = defaultResponseDays, startDays: Int = defaultStartDays, reviewDays: Int = defaultReviewDays,
        country: HolidayCountry?
    ) {
        self.responseDays = responseDays
        self.startDays = startDays
        self.reviewDays = reviewDays
        self.country = country
    }
}

/// Which promise a deadline is.
public enum DeadlineKind: String, Sendable, CaseIterable, Codable {
    /// The programme answers a submitted referral (accept, decline, waiting list or forward).
    case respond
    /// The programme looks again at a referral on its waiting list.
    case review
    /// The programme starts an accepted referral.
    case start

    public var catalogueKey: String { "deadline.kind.\(rawValue)" }

    /// The step the programme owes a referral in `state`; none when it owes none.
    public init?(owedIn state: ReferralState) {
        switch state {
        case .submitted: self = .respond
        case .waitlisted: self = .review
        case .accepted: self = .start
        case .draft, .active, .completed, .declined, .withdrawn, .forwarded, .ended: return nil
        }
    }
}

/// The date by which the programme owes a referral its next step, and the date past which the operator's org-admins
/// are told (twice the time).
public struct ReferralDeadline: Sendable, Hashable {
    public var kind: DeadlineKind
    /// The last working day on time.
    public var due: Day
    /// Past this day, the delay is escalated.
    public var escalation: Day

    public init(kind: DeadlineKind, due: Day, escalation: Day) {
        self.kind = kind
        self.due = due
        self.escalation = escalation
    }

    /// The deadline a referral has once it reaches `state` on `day`; none in a state where the programme owes nothing.
    public static func after(reaching state: ReferralState, on day: Day, terms: ResponseTerms) -> ReferralDeadline? {
        guard let kind = DeadlineKind(owedIn: state) else { return nil }
        let days =
            switch kind {
            case .respond: terms.responseDays
            case .review: terms.reviewDays
            case .start: terms.startDays
            }
        let calendar = WorkingDays(country: terms.country)
        return ReferralDeadline(kind: kind, due: calendar.adding(days, to: day), escalation: calendar.adding(2 * days, to: day))
    }

    /// Where it stands on `today`.
    public func status(on today: Day) -> DeadlineStatus {
        if today > escalation { return .escalated }
        if today > due { return .overdue }
        return today == due ? .dueToday : .onTime
    }

    /// Whether a step taken on `day` answered this deadline in time: a first answer to a referral (not the referrer's
    /// own withdrawal) on or before the due day. Nil when the step answered no respond deadline.
    public func answeredInTime(by action: ReferralAction, on day: Day) -> Bool? {
        guard kind == .respond, action.side == .programme else { return nil }
        return day <= due
    }
}

public enum DeadlineStatus: String, Sendable {
    case onTime = "on_time", dueToday = "due_today", overdue, escalated

    public var isLate: Bool { self == .overdue || self == .escalated }
}
