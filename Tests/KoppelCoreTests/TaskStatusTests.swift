import KoppelCore
import Testing

@Suite("FHIR Task status")
struct TaskStatusTests {
    @Test("every state reads as a Task status, with the state as business status")
    func everyState() {
        #expect(TaskStatus(.waitlisted) == TaskStatus(status: "on-hold", businessStatus: "waitlisted"))
        #expect(TaskStatus(.forwarded) == TaskStatus(status: "cancelled", businessStatus: "forwarded"))
        #expect(TaskStatus(.declined).status == "rejected")
        for state in ReferralState.allCases { #expect(TaskStatus(state).businessStatus == state.rawValue) }
    }

    @Test("a coordinator's change of status asks for the step that leads there")
    func coordinatorSteps() {
        #expect(TaskStatus(status: "accepted", businessStatus: "").requestedAction(from: .submitted) == .step(.accept))
        #expect(TaskStatus(status: "accepted", businessStatus: "").requestedAction(from: .waitlisted) == .step(.accept))
        #expect(TaskStatus(status: "on-hold", businessStatus: "waitlisted").requestedAction(from: .submitted) == .step(.waitlist))
        #expect(TaskStatus(status: "rejected", businessStatus: "").requestedAction(from: .submitted) == .step(.decline))
        #expect(TaskStatus(status: "in-progress", businessStatus: "").requestedAction(from: .accepted) == .step(.start))
        #expect(TaskStatus(status: "completed", businessStatus: "").requestedAction(from: .active) == .step(.complete))
        #expect(TaskStatus(status: "failed", businessStatus: "").requestedAction(from: .active) == .step(.end))
    }

    @Test("cancelled is a withdrawal unless the business status says forwarded")
    func cancelled() {
        #expect(TaskStatus(status: "cancelled", businessStatus: "").requestedAction(from: .submitted) == .step(.withdraw))
        #expect(TaskStatus(status: "cancelled", businessStatus: "forwarded").requestedAction(from: .submitted) == .step(.forward))
    }

    @Test("the status the Task has asks for nothing; one no step leads to is unknown")
    func unchangedAndUnknown() {
        #expect(TaskStatus(status: "requested", businessStatus: "").requestedAction(from: .submitted) == .unchanged)
        #expect(TaskStatus(status: "requested", businessStatus: "submitted").requestedAction(from: .submitted) == .unchanged)
        #expect(TaskStatus(status: "received", businessStatus: "").requestedAction(from: .submitted) == .unknown)
        #expect(TaskStatus(status: "rejected", businessStatus: "waitlisted").requestedAction(from: .submitted) == .unknown)
    }

    @Test("a step the state machine does not allow is still named, so the refusal can say why")
    func impossibleStepNamed() {
        #expect(TaskStatus(status: "completed", businessStatus: "").requestedAction(from: .submitted) == .step(.complete))
    }
}
