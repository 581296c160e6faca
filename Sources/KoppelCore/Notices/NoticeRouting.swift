/// Who hears of what: the one table that turns an event into notices. The notice fan-out (schema 0014) runs it over
/// the outbox, in SQL, with these rows as its parameters.
public enum NoticeRouting {
    /// Whom a notice goes to, relative to the referral (or subscription) the event is about. Never the person whose
    /// own act the event reports.
    public enum Audience: String, Sendable, CaseIterable {
        /// The coordinators of the referral's programme.
        case coordinators
        /// The coordinators, when the referrer's side acted (a message from the referrer).
        case coordinatorsWhenReferrerActed = "coordinators_when_referrer_acted"
        /// The caseworker who filed the referral.
        case referrer
        /// That caseworker, when the programme's side acted (a message from the programme).
        case referrerWhenProgrammeActed = "referrer_when_programme_acted"
        /// The org-admins of the programme's operator.
        case operatorAdmins = "operator_admins"
        /// The org-admins of the organisation the event names (a webhook subscription's owner).
        case organisationAdmins = "organisation_admins"
    }

    public struct Route: Sendable, Hashable {
        public var event: String
        public var kind: NoticeKind
        public var audience: Audience
    }

    /// An escalation, written by the deadline scan.
    public static let referralEscalated = "referral.escalated"
    /// A subscription disabled after days of failures, written by the delivery's record.
    public static let webhookDisabled = "webhook.disabled"

    public static let routes: [Route] = {
        var routes: [Route] = [
            Route(event: WebhookEventType.referralSubmitted.rawValue, kind: .newReferral, audience: .coordinators),
            Route(event: WebhookEventType.referralOverdue.rawValue, kind: .overdue, audience: .coordinators),
            Route(event: WebhookEventType.referralWithdrawn.rawValue, kind: .referralUpdate, audience: .coordinators),
            Route(event: WebhookEventType.referralMessagePosted.rawValue, kind: .message, audience: .coordinatorsWhenReferrerActed),
            Route(event: WebhookEventType.referralMessagePosted.rawValue, kind: .message, audience: .referrerWhenProgrammeActed),
            Route(event: WebhookEventType.consentWithdrawn.rawValue, kind: .consentWithdrawn, audience: .coordinators),
            Route(event: referralEscalated, kind: .escalation, audience: .operatorAdmins),
            Route(event: webhookDisabled, kind: .webhookDisabled, audience: .organisationAdmins),
        ]
        // Every decision and step the programme takes reaches the caseworker who filed the referral.
        for state in ReferralState.allCases where state != .draft && state != .submitted && state != .withdrawn {
            if let event = WebhookEventType.referral(reaching: state) {
                routes.append(Route(event: event.rawValue, kind: .referralUpdate, audience: .referrer))
            }
        }
        return routes
    }()
}
