import Foundation

/// Why a referral was submitted without a consent covering its programme; recorded and shown to the coordinator.
public enum ConsentOverrideReason: String, CaseIterable, Sendable, Codable {
    /// The client is in acute danger and cannot be asked now (GDPR Art. 6(1)(d), vital interests).
    case acuteDanger = "acute_danger"
    /// A legal duty to act, such as the reporting code on domestic violence (Meldcode).
    case legalDuty = "legal_duty"
}

/// What happened to identifying data, as the audit log records it. Never the values themselves.
public enum AuditAction: String, CaseIterable, Sendable, Codable {
    case create
    case update
    case reveal
    case export
    case erase
    case postMessage = "post_message"
    case readMessages = "read_messages"
    /// A duplicate check matched this client (a name and birth date the asker typed).
    case duplicateCheck = "duplicate_check"
    case rewrapKey = "rewrap_key"
}
