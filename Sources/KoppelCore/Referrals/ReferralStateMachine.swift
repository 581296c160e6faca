/// The referral state machine: which step leads from which state to which. Pure; who may take a step is the
/// access policy's business, whether a place is free the store's.
public enum ReferralStateMachine {
    /// The state a step leads to from `state`, or nil when the step is impossible there.
    public static func target(of action: ReferralAction, from state: ReferralState) -> ReferralState? {
        switch (state, action) {
        case (.draft, .submit): .submitted
        case (.submitted, .accept), (.waitlisted, .accept): .accepted
        case (.submitted, .waitlist): .waitlisted
        case (.submitted, .decline), (.waitlisted, .decline): .declined
        case (.submitted, .forward), (.waitlisted, .forward): .forwarded
        case (.accepted, .start): .active
        case (.active, .complete): .completed
        case (.accepted, .end), (.active, .end): .ended
        case (let open, .withdraw) where open.isOpen: .withdrawn
        default: nil
        }
    }

    /// Every step possible from `state`, in a stable order.
    public static func allowedActions(from state: ReferralState) -> [ReferralAction] {
        ReferralAction.allCases.filter { target(of: $0, from: state) != nil }
    }

    /// The checked step: the state it leads to, or why it cannot be taken.
    public static func step(
        _ action: ReferralAction, from state: ReferralState, reason: ReferralReason?
    ) -> Result<ReferralState, ReferralStepError> {
        guard let next = target(of: action, from: state) else {
            return .failure(.impossible(action: action, state: state, allowed: allowedActions(from: state)))
        }
        let reasons = action.reasons
        if let reason, !reasons.contains(reason) { return .failure(.wrongReason(action: action, allowed: reasons)) }
        if reason == nil && !reasons.isEmpty { return .failure(.reasonRequired(action: action, allowed: reasons)) }
        return .success(next)
    }
}

/// Why a step cannot be taken; the messages say what would work instead.
public enum ReferralStepError: Error, Sendable, Equatable, CustomStringConvertible {
    case impossible(action: ReferralAction, state: ReferralState, allowed: [ReferralAction])
    case reasonRequired(action: ReferralAction, allowed: [ReferralReason])
    case wrongReason(action: ReferralAction, allowed: [ReferralReason])

    public var description: String {
        switch self {
        case .impossible(let action, let state, let allowed):
            let options = allowed.isEmpty ? "none: it is closed" : allowed.map(\.rawValue).joined(separator: ", ")
            return "A referral that is \(state.rawValue) cannot be given '\(action.rawValue)'; possible steps: \(options)."
        case .reasonRequired(let action, let allowed):
            return "'\(action.rawValue)' needs a reason, one of: \(allowed.map(\.rawValue).joined(separator: ", "))."
        case .wrongReason(let action, let allowed):
            let options = allowed.isEmpty ? "it takes none" : "one of: " + allowed.map(\.rawValue).joined(separator: ", ")
            return "That reason does not go with '\(action.rawValue)'; \(options)."
        }
    }
}
