/// What a person can be told of. Each kind is one line in a user's notice settings.
public enum NoticeKind: String, Sendable, CaseIterable, Codable {
    /// Coordinators: a referral submitted or forwarded to their programme.
    case newReferral = "new_referral"
    /// Coordinators: a referral past its deadline.
    case overdue
    /// The referring caseworker: a decision or step on their referral.
    case referralUpdate = "referral_update"
    /// The other side of a referral: a new message on it.
    case message
    /// Coordinators: a consent their referral relies on was withdrawn.
    case consentWithdrawn = "consent_withdrawn"
    /// The operator's org-admins: a referral past twice its deadline.
    case escalation
    /// Org-admins: Koppel stopped delivering to one of their webhook subscriptions.
    case webhookDisabled = "webhook_disabled"

    /// Escalations reach their readers whatever they chose: that is what they are for.
    public var mayBeTurnedOff: Bool { self != .escalation }

    /// The ways a person may choose to hear of this kind.
    public var choices: [NoticeDelivery] { mayBeTurnedOff ? NoticeDelivery.allCases : [.immediate, .digest] }

    /// Whether `delivery` may be chosen for this kind.
    public func allows(_ delivery: NoticeDelivery) -> Bool { choices.contains(delivery) }

    public var catalogueKey: String { "notices.kind.\(rawValue)" }
}

/// How a person hears of a kind of notice.
public enum NoticeDelivery: String, Sendable, CaseIterable, Codable {
    /// An e-mail at once (and the notice in Koppel).
    case immediate
    /// The notice in Koppel, and once a day one e-mail with all of them, at the time the person picked.
    case digest
    /// Nothing: no notice of this kind at all.
    case off

    public static let `default`: NoticeDelivery = .immediate

    public var catalogueKey: String { "notices.delivery.\(rawValue)" }
}

extension NoticeKind {
    /// The roles a kind of notice goes to (NoticeRouting's audiences): what a person's settings offer them.
    public var roles: Set<Role> {
        switch self {
        case .newReferral, .overdue, .consentWithdrawn: [.coordinator]
        // Withdrawals reach coordinators as updates; decisions reach caseworkers.
        case .referralUpdate, .message: [.caseworker, .coordinator]
        case .escalation, .webhookDisabled: [.orgAdmin]
        }
    }

    /// The kinds a person with `roles` may hear of, in the catalogue's order.
    public static func kinds(for roles: Set<Role>) -> [NoticeKind] {
        allCases.filter { !$0.roles.isDisjoint(with: roles) }
    }
}

/// A person's choices: how they hear of each kind, when their digest comes, in which language.
public struct NoticeSettings: Sendable, Hashable {
    public var deliveries: [NoticeKind: NoticeDelivery]
    /// Minutes after midnight, Amsterdam time.
    public var digestMinute: Int
    public var language: UILanguage

    public init(deliveries: [NoticeKind: NoticeDelivery] = [:], digestMinute: Int = 8 * 60, language: UILanguage = .dutch) {
        self.deliveries = deliveries
        self.digestMinute = digestMinute
        self.language = language
    }

    public func delivery(of kind: NoticeKind) -> NoticeDelivery { deliveries[kind] ?? .default }

    /// What is wrong with these choices, if anything: a kind that may not be turned off, turned off; a time that is
    /// not one.
    public var problem: NoticeSettingsProblem? {
        if let kind = deliveries.first(where: { !$0.key.allows($0.value) })?.key { return .mayNotTurnOff(kind) }
        if !(0..<(24 * 60)).contains(digestMinute) { return .invalidDigestTime }
        return nil
    }
}

public enum NoticeSettingsProblem: Error, Sendable, Equatable {
    case mayNotTurnOff(NoticeKind)
    case invalidDigestTime
}
