import Foundation

/// Whether a client's consents let an organisation use their data for a purpose, on a day.
public enum ConsentEvaluation {
    /// The consent in force on `day` that permits `organisation` (acting for `programme`, if any) to use
    /// `dataClass` (any class when nil) for `purpose`; nil when none does. A matching deny in any consent in
    /// force wins over every permit, as a deny provision nested in a FHIR Consent carves out of its permit.
    public static func permitting(
        _ consents: [Consent], organisation: UUID, programme: UUID?, purpose: ConsentPurpose, dataClass: DataClass?, on day: String
    ) -> Consent? {
        func matches(_ provision: ConsentProvision) -> Bool {
            let actorMatches: Bool =
                switch provision.actor {
                case .organisation(let id): id == organisation
                case .programme(let id): id == programme
                }
            return actorMatches && provision.purposes.contains(purpose) && provision.covers(day)
                && (dataClass.map { provision.dataClasses.contains($0) } ?? true)
        }
        let inForce = consents.filter { $0.isInForce(on: day) }
        let denied = inForce.contains { consent in consent.provisions.contains { $0.kind == .deny && matches($0) } }
        if denied { return nil }
        return inForce.first { consent in consent.provisions.contains { $0.kind == .permit && matches($0) } }
    }

    /// The data classes `permitting` allows, each with the consent that allows it.
    public static func permittedClasses(
        _ consents: [Consent], organisation: UUID, programme: UUID?, purpose: ConsentPurpose, on day: String
    ) -> [DataClass: UUID] {
        var permitted: [DataClass: UUID] = [:]
        for dataClass in DataClass.allCases {
            if let consent = permitting(consents, organisation: organisation, programme: programme, purpose: purpose, dataClass: dataClass, on: day) {
                permitted[dataClass] = consent.id
            }
        }
        return permitted
    }
}
