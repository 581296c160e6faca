/// How a referral's state reads as a FHIR R4 `Task` (status + businessStatus), and which step a partner asks for when it
/// changes a Task's status: the one table both directions use (decision 0019).
public struct TaskStatus: Sendable, Hashable {
    /// FHIR `Task.status`.
    public var status: String
    /// Koppel's state where `status` alone does not tell it (`Task.businessStatus`).
    public var businessStatus: String

    public init(status: String, businessStatus: String) {
        self.status = status
        self.businessStatus = businessStatus
    }

    /// The Task status of a referral in `state`; `businessStatus` is always Koppel's state.
    public init(_ state: ReferralState) {
        self.init(status: state.fhirTaskStatus, businessStatus: state.rawValue)
    }

    /// The step a change of the Task to `self` asks for, from a referral in `state`. An empty business status leaves the
    /// choice to the status alone; where two steps share one (cancelled: withdraw or forward), the business status
    /// names the state, else the step possible from `state` is meant.
    public func requestedAction(from state: ReferralState) -> TaskStatusChange {
        if status == state.fhirTaskStatus && (businessStatus.isEmpty || businessStatus == state.rawValue) { return .unchanged }
        let steps = ReferralAction.allCases.filter { action in
            guard let target = Self.target(of: action) else { return false }
            return target.fhirTaskStatus == status && (businessStatus.isEmpty || businessStatus == target.rawValue)
        }
        guard let first = steps.first else { return .unknown }
        return .step(steps.first { ReferralStateMachine.target(of: $0, from: state) != nil } ?? first)
    }

    /// The state a step leads to, wherever it is taken from.
    private static func target(of action: ReferralAction) -> ReferralState? {
        ReferralState.allCases.lazy.compactMap { ReferralStateMachine.target(of: action, from: $0) }.first
    }
}

/// What a partner's change of a Task's status asks for.
public enum TaskStatusChange: Sendable, Equatable {
    /// The Task already reads so: nothing to do.
    case unchanged
    case step(ReferralAction)
    /// A status (or business status) that no step of Koppel's leads to.
    case unknown
}
