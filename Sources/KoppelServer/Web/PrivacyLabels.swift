import Foundation
import HTTPTypes
import KoppelCore
import KoppelStore
import KoppelUseCases

/// How clients, consents and reveals read on the pages, in the reader's language.
struct PrivacyLabels {
    let catalogue: Catalogue

    func text(_ key: String) -> String { catalogue.text(key) }
    func text(_ key: String, _ values: [String: String]) -> String { catalogue.text(key, values) }

    /// The purposes a reveal may state; processing the referral is not one (`Disclosure`).
    var revealPurposes: [[String: Any]] {
        ConsentPurpose.allCases.filter { $0 != .referral }.map { ["value": $0.rawValue, "label": text("privacy.reveal.purposes.\($0.rawValue)")] }
    }

    /// What a reveal showed: the fields that hold a value, labelled.
    func revealed(_ values: [IdentityField: String], purpose: ConsentPurpose) -> [String: Any] {
        [
            "purpose": text("privacy.reveal.shown", ["purpose": text("privacy.reveal.purposes.\(purpose.rawValue)")]),
            "fields": IdentityField.allCases.compactMap { field -> [String: Any]? in
                values[field].map { ["label": text("privacy.client.\(field.rawValue)"), "value": $0] }
            },
        ]
    }

    /// A consent as a row: who gave it, how, and what its provisions allow whom, with names for the actors.
    func consent(_ consent: Consent, today: String, names: [UUID: String]) -> [String: Any] {
        let status = consent.status(on: today)
        return [
            "id": consent.id.uuidString.lowercased(), "status": text("privacy.consent.statuses.\(status.rawValue)"),
            "isActive": status == .active, "obtainedOn": consent.obtainedOn,
            "grantor": text("privacy.consent.grantors.\(consent.grantor.rawValue)"),
            "evidence": text("privacy.consent.evidences.\(consent.evidence.rawValue)"),
            "legalBasis": text("privacy.consent.legal_bases.\(consent.legalBasis.rawValue)"),
            "period": consent.validUntil.map { "\(consent.validFrom) – \($0)" } ?? "\(consent.validFrom) –",
            "provisions": consent.provisions.map { provision -> String in
                let purposes = ConsentPurpose.allCases.filter(provision.purposes.contains).map { text("privacy.reveal.purposes.\($0.rawValue)") }
                let classes = DataClass.allCases.filter(provision.dataClasses.contains).map { text("privacy.data_classes.\($0.rawValue)") }
                return text("privacy.consent.provision.\(provision.kind.rawValue)", [
                    "actor": names[provision.actor.id] ?? provision.actor.id.uuidString.lowercased().prefix(8).description,
                    "purposes": purposes.joined(separator: ", "), "classes": classes.joined(separator: ", "),
                ])
            },
        ]
    }

    /// The organisations and programmes a client's consents name.
    static func actors(of consents: [Consent]) -> Set<UUID> {
        Set(consents.flatMap(\.provisions).map(\.actor.id))
    }

    /// What a privacy error means on a page: the status and a message that says what is missing or what to do.
    /// The status and message of a client or consent error, from the one failure table.
    func problem(_ error: PrivacyError) -> (HTTPResponse.Status, String) {
        (HTTPResponse.Status(error.failure.kind), catalogue.message(error.failure))
    }

    func reason(_ denial: DisclosureDenial) -> String {
        catalogue.words([denial.message])
    }
}
