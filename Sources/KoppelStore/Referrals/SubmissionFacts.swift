import Foundation
import KoppelCore
import PostgresNIO

/// What a new referral is checked against (`SubmissionFactsAs`, `SubmissionFactsForToken`): its programme (nil when
/// none is listed with its id), whether its client is erased (nil when the referrer does not know the client), its
/// municipality, the database's day, and the client's consents.
struct SubmissionFacts: Sendable {
    let programme: Programme?
    let clientErased: Bool?
    let municipality: MunicipalityMatch?
    let today: String
    let consents: [Consent]

    /// The facts of the statements' rows, one per consent (one with none when the client has none), each in
    /// `SubmissionFactsColumns.list`' order: the programme's columns (as many as `programme_rows` has), the facts, a
    /// consent, then `trailing` columns of someone else's (the account's).
    static func decode(_ rows: [PostgresRandomAccessRow], trailing: Int = 0) throws -> SubmissionFacts {
        let first = rows[0]
        let consentFrom = first.count - trailing - SubmissionFactsColumns.consentColumns
        let factsFrom = consentFrom - SubmissionFactsColumns.factColumns
        func fact<T: PostgresDecodable>(_ index: Int, _: T.Type = T.self) throws -> T { try first[factsFrom + index].decode(T.self) }
        var match: MunicipalityMatch?
        if let code: String = try fact(1) {
            let municipality = Municipality(
                code: code, name: try fact(2), region: try fact(3), country: try fact(4),
                names: Set(try fact(5, [String]?.self) ?? []), places: Set(try fact(6, [String]?.self) ?? []))
            match = MunicipalityMatch(
                municipality: municipality, matching: try fact(9), existing: try fact(10), endedOn: try fact(7), successor: try fact(8))
        }
        return SubmissionFacts(
            programme: first[0].bytes == nil ? nil : try PostgresProgrammeDirectory.programme(from: first, at: 0),
            clientErased: try fact(0), municipality: match, today: try fact(11),
            consents: try rows.filter { $0[consentFrom].bytes != nil }.map { try ConsentRows.decode($0, from: consentFrom) })
    }
}
