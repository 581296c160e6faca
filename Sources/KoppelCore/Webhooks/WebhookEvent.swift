import Foundation

/// What Koppel tells partner systems (the `webhooks:` of the API contract). Each event is thin: ids, a state, a
/// sequence number and links, never anything that says who a client is (decision 0016).
public enum WebhookEventType: String, CaseIterable, Sendable, Codable {
    case referralSubmitted = "referral.submitted"
    case referralWaitlisted = "referral.waitlisted"
    case referralAccepted = "referral.accepted"
    case referralStarted = "referral.started"
    case referralCompleted = "referral.completed"
    case referralDeclined = "referral.declined"
    case referralWithdrawn = "referral.withdrawn"
    case referralForwarded = "referral.forwarded"
    case referralEnded = "referral.ended"
    case referralMessagePosted = "referral.message_posted"
    /// Written by the deadline scan, not by a step.
    case referralOverdue = "referral.overdue"
    case consentWithdrawn = "consent.withdrawn"
    case programmeChanged = "programme.changed"
    /// Sent only when an org-admin asks for a test event.
    case ping

    /// The event of a referral reaching `state`; none for a draft, which never leaves the referrer.
    public static func referral(reaching state: ReferralState) -> WebhookEventType? {
        switch state {
        case .draft: nil
        case .submitted: .referralSubmitted
        case .waitlisted: .referralWaitlisted
        case .accepted: .referralAccepted
        case .active: .referralStarted
        case .completed: .referralCompleted
        case .declined: .referralDeclined
        case .withdrawn: .referralWithdrawn
        case .forwarded: .referralForwarded
        case .ended: .referralEnded
        }
    }

    /// The types a subscription may ask for (a ping goes to whoever asks for it).
    public static var subscribable: [WebhookEventType] { allCases.filter { $0 != .ping } }
}
