import Foundation
import HTTPTypes
import KoppelCore
import KoppelStore
import KoppelUseCases

/// What each client and consent error means to an API caller: the failure table's status and developer message.
enum PrivacyProblems {
    static func problem(for error: PrivacyError) -> Problem {
        Problem(error.failure)
    }
}

/// The GDPR Art. 15 export as one JSON document.
enum ClientExportDocument {
    static func json(_ export: ClientExport) throws -> Data {
        let formatter = ISO8601DateFormatter()
        func id(_ value: UUID?) -> Any { value?.uuidString.lowercased() ?? NSNull() }
        func time(_ value: Date?) -> Any { value.map(formatter.string(from:)) ?? NSNull() }
        let document: [String: Any] = [
            "client": [
                "id": id(export.client.id), "organisation_id": id(export.client.organisation),
                "registered_at": time(export.client.registeredAt), "erased_at": time(export.client.erasedAt),
            ],
            "identity": Dictionary(uniqueKeysWithValues: export.identity.map { ($0.key.rawValue, $0.value) }),
            "consents": export.consents.map { consent in
                [
                    "id": id(consent.id), "status": consent.status.rawValue, "grantor": consent.grantor.rawValue,
                    "obtained_on": consent.obtainedOn, "evidence": consent.evidence.rawValue, "legal_basis": consent.legalBasis.rawValue,
                    "valid_from": consent.validFrom, "valid_until": consent.validUntil ?? NSNull(), "ended_at": time(consent.withdrawnAt),
                    "provisions": consent.provisions.map { provision -> [String: Any] in
                        [
                            "kind": provision.kind.rawValue, "actor_type": provision.actor.type, "actor_id": id(provision.actor.id),
                            "purposes": provision.purposes.map(\.rawValue).sorted(), "data_classes": provision.dataClasses.map(\.rawValue).sorted(),
                        ]
                    },
                ] as [String: Any]
            },
            "referrals": export.referrals.map { part in
                [
                    "id": id(part.referral.id), "programme": part.referral.programme.name, "state": part.referral.state.rawValue,
                    "target_group": part.referral.targetGroup.rawValue, "age_band": part.referral.ageBand.rawValue,
                    "municipality": part.referral.municipality.name, "needs": part.referral.needs.map(\.rawValue),
                    "created_at": time(part.referral.createdAt),
                    "history": part.history.map { event in
                        [
                            "occurred_at": time(event.occurredAt), "action": event.action, "from": event.fromState?.rawValue ?? NSNull(),
                            "to": event.toState.rawValue, "reason": event.reason?.rawValue ?? NSNull(), "organisation": event.organisation.name,
                        ] as [String: Any]
                    },
                    "messages": part.messages.map { message in
                        ["posted_at": time(message.postedAt), "organisation_id": id(message.authorOrganisation), "text": message.text] as [String: Any]
                    },
                ] as [String: Any]
            },
            "access_log": export.auditTrail.map { entry in
                [
                    "at": time(entry.occurredAt), "action": entry.action.rawValue, "user_id": id(entry.actorUser),
                    "organisation_id": id(entry.actorOrganisation), "purpose": entry.purpose ?? NSNull(), "referral_id": id(entry.referral),
                    "fields": entry.fields,
                ] as [String: Any]
            },
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
    }
}
