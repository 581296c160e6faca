import KoppelAPI

/// A referral as the API answers it, written by `JSONWriter` with the keys in the order `.sortedKeys` puts them.
/// `ReferralJSONTests` holds it byte for byte to what the generated type's own encoding writes.
enum ReferralJSON {
    static func bytes(_ referral: Components.Schemas.Referral) -> [UInt8] {
        var json = JSONWriter()
        write(referral, into: &json)
        return json.bytes
    }

    /// A page of referrals (`GET /api/v1/referrals`): the items, then the cursor of the next page when there is one.
    static func bytes(_ page: Components.Schemas.ReferralPage) -> [UInt8] {
        var json = JSONWriter(capacity: 1024 * (page.items.count + 1))
        json.openObject()
        json.key("items")
        json.openArray()
        for referral in page.items { write(referral, into: &json) }
        json.closeArray()
        json.field("next_cursor", page.nextCursor)
        json.closeObject()
        return json.bytes
    }

    static func write(_ referral: Components.Schemas.Referral, into json: inout JSONWriter) {
        json.openObject()
        json.field("age_band", referral.ageBand)
        json.field("allowed_actions", referral.allowedActions)
        json.field("client_id", referral.clientId)
        json.field("consent_id", referral.consentId)
        json.field("consent_override_reason", referral.consentOverrideReason)
        json.field("created_at", referral.createdAt)
        if let deadline = referral.deadline {
            json.key("deadline")
            json.openObject()
            json.field("due_on", deadline.dueOn)
            json.field("escalate_on", deadline.escalateOn)
            json.field("kind", deadline.kind)
            json.field("status", deadline.status)
            json.closeObject()
        }
        json.field("fhir_task_status", referral.fhirTaskStatus)
        json.field("forwarded_from", referral.forwardedFrom)
        json.field("id", referral.id)
        json.field("municipality", referral.municipality)
        json.field("municipality_code", referral.municipalityCode)
        json.field("needs", referral.needs)
        json.field("overridden_rules", referral.overriddenRules)
        json.field("override_reason", referral.overrideReason)
        json.key("programme")
        write(referral.programme, into: &json)
        json.key("referring_organisation")
        write(referral.referringOrganisation, into: &json)
        json.field("requested_start", referral.requestedStart)
        json.field("state", referral.state)
        json.field("state_changed_at", referral.stateChangedAt)
        json.field("submitted_at", referral.submittedAt)
        json.field("target_group", referral.targetGroup)
        json.field("urgency", referral.urgency)
        json.field("version", referral.version)
        json.field("waitlist_position", referral.waitlistPosition)
        json.closeObject()
    }

    private static func write(_ reference: Components.Schemas.NamedReference, into json: inout JSONWriter) {
        json.openObject()
        json.field("id", reference.id)
        json.field("name", reference.name)
        json.closeObject()
    }
}
