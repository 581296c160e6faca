import Foundation
import Hummingbird
import KoppelCore
import KoppelStore

/// A coordinator's queue: the referrals of their programmes that are still open, soonest due first (so overdue ones
/// lead), narrowed by state and programme through a plain form (no JavaScript).
struct CoordinatorQueue {
    static let openStates: [ReferralState] = [.submitted, .waitlisted, .accepted, .active]
    let state: ReferralState?
    let programme: UUID?
    let newestFirst: Bool
    let programmes: [Programme]

    init(_ query: Hummingbird.Parameters, programmes: [Programme]) {
        self.programmes = programmes
        state = query["state"].flatMap { ReferralState(rawValue: String($0)) }.flatMap { Self.openStates.contains($0) ? $0 : nil }
        programme = query["programme"].flatMap { UUID(uuidString: String($0)) }.flatMap { id in programmes.contains { $0.id == id } ? id : nil }
        newestFirst = query["sort"] == "newest"
    }

    var filter: ReferralFilter {
        var filter = ReferralFilter(programmeID: programme, limit: 200)
        filter.states = state.map { [$0] } ?? Set(Self.openStates)
        filter.byDeadline = !newestFirst
        return filter
    }

    func choices(_ labels: ReferralLabels) -> [String: Any] {
        [
            "states": Self.openStates.map { ["value": $0.rawValue, "label": labels.text($0.catalogueKey), "selected": $0 == state] },
            "programmes": programmes.map { ["value": $0.id.uuidString.lowercased(), "label": $0.name, "selected": $0.id == programme] },
            "newestFirst": newestFirst,
        ]
    }
}
