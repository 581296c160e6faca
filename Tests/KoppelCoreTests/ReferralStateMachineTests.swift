import KoppelCore
import Testing

@Suite("The referral state machine")
struct ReferralStateMachineTests {
    /// Every possible step, written out by hand: the specification the machine is checked against.
    static let steps: [ReferralState: [ReferralAction: ReferralState]] = [
        .draft: [.submit: .submitted, .withdraw: .withdrawn],
        .submitted: [.accept: .accepted, .decline: .declined, .waitlist: .waitlisted, .forward: .forwarded, .withdraw: .withdrawn],
        .waitlisted: [.accept: .accepted, .decline: .declined, .forward: .forwarded, .withdraw: .withdrawn],
        .accepted: [.start: .active, .end: .ended, .withdraw: .withdrawn],
        .active: [.complete: .completed, .end: .ended, .withdraw: .withdrawn],
        .completed: [:], .declined: [:], .withdrawn: [:], .forwarded: [:], .ended: [:],
    ]

    static func reason(for action: ReferralAction) -> ReferralReason? { action.reasons.first }

    @Test("every state × every action leads where the table says, or is refused naming the possible steps",
          arguments: ReferralState.allCases)
    func everyStateAndAction(state: ReferralState) throws {
        let expected = try #require(Self.steps[state])
        for action in ReferralAction.allCases {
            let result = ReferralStateMachine.step(action, from: state, reason: Self.reason(for: action))
            if let next = expected[action] {
                #expect(result == .success(next), "\(state) + \(action)")
            } else {
                let allowed = ReferralAction.allCases.filter { expected[$0] != nil }
                #expect(result == .failure(.impossible(action: action, state: state, allowed: allowed)), "\(state) + \(action)")
            }
        }
        #expect(ReferralStateMachine.allowedActions(from: state) == ReferralAction.allCases.filter { expected[$0] != nil })
    }

    @Test("closed states allow nothing, open states allow withdrawal")
    func openAndClosed() {
        for state in ReferralState.allCases {
            #expect(ReferralStateMachine.allowedActions(from: state).isEmpty == !state.isOpen, "\(state)")
            #expect((ReferralStateMachine.target(of: .withdraw, from: state) != nil) == state.isOpen, "\(state)")
        }
    }

    @Test("decline, withdraw and end need a coded reason of their own; other steps take none")
    func reasons() {
        #expect(ReferralStateMachine.step(.decline, from: .submitted, reason: nil)
            == .failure(.reasonRequired(action: .decline, allowed: ReferralAction.decline.reasons)))
        #expect(ReferralStateMachine.step(.decline, from: .submitted, reason: .clientMoved)
            == .failure(.wrongReason(action: .decline, allowed: ReferralAction.decline.reasons)))
        #expect(ReferralStateMachine.step(.accept, from: .submitted, reason: .notEligible)
            == .failure(.wrongReason(action: .accept, allowed: [])))
        #expect(ReferralStateMachine.step(.end, from: .active, reason: .safetyConcern) == .success(.ended))
        #expect(ReferralStateMachine.step(.withdraw, from: .active, reason: .consentWithdrawn) == .success(.withdrawn))
        for action in ReferralAction.allCases {
            #expect(action.reasons.isEmpty == ![.decline, .withdraw, .end].contains(action), "\(action)")
        }
    }

    @Test("the message of an impossible step names the current state and the possible steps")
    func message() {
        guard case .failure(let error) = ReferralStateMachine.step(.accept, from: .active, reason: nil) else {
            Issue.record("accepting an active referral must fail")
            return
        }
        #expect(error.description == "A referral that is active cannot be given 'accept'; possible steps: withdraw, complete, end.")
        #expect(ReferralStepError.impossible(action: .start, state: .completed, allowed: []).description.contains("none: it is closed"))
    }

    @Test("places are held while accepted or active only; states map to FHIR Task statuses")
    func placesAndFHIR() {
        #expect(ReferralState.allCases.filter(\.holdsPlace) == [.accepted, .active])
        #expect(ReferralState.waitlisted.fhirTaskStatus == "on-hold")
        #expect(ReferralState.declined.fhirTaskStatus == "rejected")
        #expect(ReferralState.active.fhirTaskStatus == "in-progress")
    }
}
