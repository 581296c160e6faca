import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// Coordinators confirm that their programme's directory entry is current (HSDS `assured_date`).
public struct DirectoryConfirmations: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Records that the entry is current as of now (the application's clock); the new moment, or nil when there is no
    /// such programme. Subscribers hear of it as of any other change to the programme.
    public func confirm(programme: UUID, by actor: Actor) async throws -> Date? {
        try await client.withTenantTransaction(organisation: actor.organisationID, user: actor.userID, logger: logger) { connection in
            guard let confirmed = try await connection.query(
                "UPDATE programmes SET directory_confirmed_at = koppel_now() WHERE id = \(programme) RETURNING directory_confirmed_at",
                logger: logger
            ).collect().first?.decode(Date.self) else { return nil }
            try await Outbox.programmeChanged(programme, on: connection, logger: logger)
            return confirmed
        }
    }

    /// When the entry was last confirmed; nil if never (or no such programme).
    public func lastConfirmed(programme: UUID) async throws -> Date? {
        try await client.query("SELECT directory_confirmed_at FROM programmes WHERE id = \(programme)", logger: logger)
            .collect().first?.decode(Date?.self) ?? nil
    }
}
