import Foundation
import KoppelCore

/// A partner system's subscription to an organisation's events, as its org-admins see it: never its secret.
public struct WebhookSubscription: Sendable, Hashable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case active, paused, disabled
    }

    public let id: UUID
    public let organisationID: UUID
    public let url: String
    public let description: String
    /// Empty: every type.
    public let eventTypes: [WebhookEventType]
    public let status: Status
    /// Why it was disabled: `gone` (the receiver answered 410) or `failing` (no success for five days).
    public let disabledReason: String?
    public let failingSince: Date?
    /// Until when the previous secret still signs, after a rotation.
    public let previousSecretUntil: Date?
    public let createdAt: Date
}

/// What an org-admin asks for.
public struct NewWebhookSubscription: Sendable {
    public var url: String
    public var description: String
    public var eventTypes: [WebhookEventType]

    public init(url: String, description: String, eventTypes: [WebhookEventType]) {
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
    }
}

/// One event to one subscription, and how its delivery went.
public struct WebhookDelivery: Sendable, Hashable {
    public enum State: String, Sendable, Codable {
        case pending, delivered, dead
    }

    public let id: Int64
    public let messageID: String
    public let eventType: String
    public let subjectID: UUID?
    public let state: State
    public let attempts: Int
    public let nextAttemptAt: Date
    public let createdAt: Date
    public let deliveredAt: Date?
}

/// One try of a delivery, for the log: no personal data, at most 1 KB of the answer.
public struct WebhookAttempt: Sendable, Hashable {
    public let deliveryID: Int64
    public let attemptedAt: Date
    public let httpStatus: Int?
    public let latencyMilliseconds: Int
    public let errorClass: String?
    public let responseExcerpt: String?
}

/// Why a subscription could not be made or changed. The API and the page say what to fix.
public enum WebhookError: Error, Sendable, Equatable {
    case invalidURL(String)
    case invalidDescription
    case notFound
    case deliveryNotFound
}
