import Foundation
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// An event written to the outbox carries the trace of the request that wrote it (schema 0024), and only a well-formed
/// one: a stray value must never fail the write that reports a change, nor reach a partner's system.
@Suite("The outbox keeps the request's trace")
struct OutboxTraceTests {
    @Test("a transaction's traceparent fills the event's; a malformed one or none leaves it empty")
    func traceparentOfTheTransaction() async throws {
        let traced = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { client in
                let subject = try await client.query(
                    "INSERT INTO organisations (slug, name, kinds) VALUES ('traced', 'Traced', ARRAY['referrer']) RETURNING id", logger: quietLogger
                ).collect().first!.decode(UUID.self)
                for given in [traced, "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "'; DROP TABLE outbox; --", nil] {
                    let written = try await RequestTrace.$traceparent.withValue(given) {
                        try await client.withTenantTransaction(organisation: subject, logger: quietLogger) { connection in
                            try await connection.query(
                                """
                                INSERT INTO outbox (topic, subject_id, recipient_organisations, event_type, data)
                                VALUES ('programme.changed', \(subject), NULL, 'programme.changed', '{}') RETURNING traceparent
                                """, logger: quietLogger
                            ).collect().first?.decode(String?.self)
                        }
                    }
                    #expect(written == (given == traced ? traced : nil), "written \(String(describing: written)) for \(String(describing: given))")
                }
            }
        }
    }
}
