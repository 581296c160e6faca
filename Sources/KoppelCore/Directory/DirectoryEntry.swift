import Foundation

/// A listed programme as the HSDS directory publishes it: the programme, and what the directory adds to it.
public struct DirectoryEntry: Sendable, Hashable {
    public var programme: Programme
    /// When one of its coordinators last confirmed the entry is current (HSDS `assured_date`); nil if never.
    public var confirmedAt: Date?
    /// When its directory data last changed (HSDS `last_modified`): an edit, an import, a confirmation.
    public var lastModified: Date
    /// Places free now; nil when the programme sets no number of places.
    public var freePlaces: Int?
    /// What its operator says of itself, if anything.
    public var operatorDescription: String?

    public init(programme: Programme, confirmedAt: Date?, lastModified: Date, freePlaces: Int?, operatorDescription: String? = nil) {
        self.operatorDescription = operatorDescription
        self.programme = programme
        self.confirmedAt = confirmedAt
        self.lastModified = lastModified
        self.freePlaces = freePlaces
    }
}

/// An organisation that runs listed programmes, as the HSDS directory publishes it.
public struct DirectoryOrganisation: Sendable, Hashable {
    public var id: UUID
    public var name: String
    public var description: String?
    public var website: String?
    public var lastModified: Date
    /// Its listed programmes, by name (only on the organisation's own document).
    public var programmes: [ProgrammeSummary]

    public init(id: UUID, name: String, description: String?, website: String?, lastModified: Date, programmes: [ProgrammeSummary] = []) {
        self.id = id
        self.name = name
        self.description = description
        self.website = website
        self.lastModified = lastModified
        self.programmes = programmes
    }
}

/// A programme named beside its organisation.
public struct ProgrammeSummary: Sendable, Hashable {
    public var id: UUID
    public var name: String
    public var status: ProgrammeStatus
    public var description: LocalizedText

    public init(id: UUID, name: String, status: ProgrammeStatus, description: LocalizedText) {
        self.id = id
        self.name = name
        self.status = status
        self.description = description
    }
}

/// The HSDS directory, as the server reads it. Implemented in KoppelStore.
public protocol HSDSDirectory: Sendable {
    func services(_ query: DirectoryQuery) async throws -> DirectoryPage<DirectoryEntry>
    func service(id: UUID) async throws -> DirectoryEntry?
    func organisations(_ query: DirectoryQuery) async throws -> DirectoryPage<DirectoryOrganisation>
    func organisation(id: UUID) async throws -> DirectoryOrganisation?
}
