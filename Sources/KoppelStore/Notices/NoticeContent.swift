import Foundation
import KoppelCore

/// What a notice says, from its stored columns: the kind, the programme, the referral's reference and the thin event
/// data. There is nothing else to say: a name, a message's text or a decline note never reach a notice.
public struct NoticeContent: Sendable, Hashable {
    public var kind: NoticeKind
    public var event: String
    public var referralID: UUID?
    public var programmeName: String?
    /// The referral's state after the event (for a decision or step).
    public var state: ReferralState?
    public var dueKind: DeadlineKind?
    public var dueOn: Day?
    /// For a disabled webhook subscription.
    public var subscriptionID: UUID?
    /// A new referral made by forwarding another.
    public var forwarded: Bool
    public var createdAt: Date

    init?(kind: String, event: String, referral: UUID?, programme: String?, details: String, at createdAt: Date) {
        guard let kind = NoticeKind(rawValue: kind) else { return nil }
        let object = (try? JSONSerialization.jsonObject(with: Data(details.utf8))) as? [String: Any] ?? [:]
        self.kind = kind
        self.event = event
        self.referralID = referral
        self.programmeName = programme
        self.state = (object["state"] as? String).flatMap(ReferralState.init(rawValue:))
        self.dueKind = (object["due_kind"] as? String).flatMap(DeadlineKind.init(rawValue:))
        self.dueOn = (object["due_on"] as? String).flatMap(Day.init)
        self.subscriptionID = (object["subscription_id"] as? String).flatMap(UUID.init(uuidString:))
        self.forwarded = object["forwarded_from"] != nil
        self.createdAt = createdAt
    }

    /// The reference people use for a referral in a notice or on the phone: the first eight hex digits of its id.
    public var reference: String? { referralID.map(ReferralReference.short) }
}
