/// Where a referral stands. Aligned with FHIR R4 `Task.status` where one fits (see `fhirTaskStatus`).
public enum ReferralState: String, CaseIterable, Sendable, Codable {
    case draft, submitted, waitlisted, accepted, active, completed, declined, withdrawn, forwarded, ended

    /// Open states can still change; closed ones are final.
    public var isOpen: Bool {
        switch self {
        case .draft, .submitted, .waitlisted, .accepted, .active: true
        case .completed, .declined, .withdrawn, .forwarded, .ended: false
        }
    }

    /// Whether a referral in this state holds one of the programme's places.
    public var holdsPlace: Bool { self == .accepted || self == .active }

    /// The FHIR R4 Task status; `forwarded` has none of its own and is `cancelled` with business status "forwarded".
    public var fhirTaskStatus: String {
        switch self {
        case .draft: "draft"
        case .submitted: "requested"
        case .waitlisted: "on-hold"
        case .accepted: "accepted"
        case .active: "in-progress"
        case .completed: "completed"
        case .declined: "rejected"
        case .withdrawn, .forwarded: "cancelled"
        case .ended: "failed"
        }
    }

    public var catalogueKey: String { "referral.state.\(rawValue)" }
}

/// A step someone takes on a referral.
public enum ReferralAction: String, CaseIterable, Sendable, Codable {
    /// The referrer sends a draft to the programme.
    case submit
    /// The referrer takes it back, from any open state.
    case withdraw
    /// The programme's coordinator decides: take in, refuse, put on the waiting list, or send on to another programme.
    case accept, decline, waitlist, forward
    /// The coordinator records the start, the completion, or an early end.
    case start, complete, end

    /// Who takes this step: the referring organisation's caseworker or the programme's coordinator.
    public var side: ReferralSide {
        switch self {
        case .submit, .withdraw: .referrer
        case .accept, .decline, .waitlist, .forward, .start, .complete, .end: .programme
        }
    }

    /// Which coded reasons this step takes; empty when it takes none.
    public var reasons: [ReferralReason] { ReferralReason.allCases.filter { $0.action == self } }

    public var catalogueKey: String { "referral.action.\(rawValue)" }
}

/// The two sides of a referral.
public enum ReferralSide: Sendable, Hashable {
    case referrer, programme
}

/// The coded reasons for declining, withdrawing and ending; statistics count on them, so they are not free text.
public enum ReferralReason: String, CaseIterable, Sendable, Codable {
    // Declined
    case notEligible = "not_eligible"
    case needsNotMatched = "needs_not_matched"
    case clientUnreachable = "client_unreachable"
    case clientDeclined = "client_declined"
    case betterElsewhere = "better_elsewhere"
    // Withdrawn
    case clientChoice = "client_choice"
    case otherSupportFound = "other_support_found"
    case consentWithdrawn = "consent_withdrawn"
    case consentExpired = "consent_expired"
    case enteredInError = "entered_in_error"
    // Ended early
    case clientStopped = "client_stopped"
    case clientMoved = "client_moved"
    case lostContact = "lost_contact"
    case safetyConcern = "safety_concern"
    case programmeStopped = "programme_stopped"

    public var action: ReferralAction {
        switch self {
        case .notEligible, .needsNotMatched, .clientUnreachable, .clientDeclined, .betterElsewhere: .decline
        case .clientChoice, .otherSupportFound, .consentWithdrawn, .consentExpired, .enteredInError: .withdraw
        case .clientStopped, .clientMoved, .lostContact, .safetyConcern, .programmeStopped: .end
        }
    }

    public var catalogueKey: String { "referral.reason.\(rawValue)" }
}
