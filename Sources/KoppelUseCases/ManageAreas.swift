import Foundation
import KoppelCore
import KoppelStore

/// An area as a hub-admin gives it. Members are codes (the API) or the lines of the page's form, codes or names.
public struct AreaInput: Sendable {
    public enum Members: Sendable {
        case codes([NamedArea.Member])
        case lines(String)
    }

    public var name: String
    public var description: String?
    public var members: Members

    public init(name: String, description: String?, members: Members) {
        self.name = name
        self.description = description
        self.members = members
    }
}

/// Named areas: hub-admins make, change and remove them; funders and hub-admins read them (what an agreement covers).
public struct ManageAreas: Sendable {
    let areas: AreaStore

    public init(areas: AreaStore) {
        self.areas = areas
    }

    public func list(by actor: Actor) async throws -> [AreaRecord] {
        try Self.mayRead(actor)
        return try await areas.areas()
    }

    public func one(_ id: UUID, by actor: Actor) async throws -> AreaRecord {
        try Self.mayRead(actor)
        guard let area = try await areas.area(id: id) else { throw FundingError.areaNotFound.failure }
        return area
    }

    /// The municipalities an area covers today, for a funder reading an agreement.
    public func municipalities(of id: UUID, by actor: Actor) async throws -> [(code: String, name: String)] {
        try Self.mayRead(actor)
        return try await areas.municipalities(of: id)
    }

    public func create(_ input: AreaInput, by actor: Actor) async throws -> AreaRecord {
        try FundingRules.mayManage(actor)
        let draft = try await draft(input)
        return try await reportingFailures {
            let id = try await areas.create(draft)
            guard let area = try await areas.area(id: id) else { throw FundingError.areaNotFound }
            return area
        }
    }

    /// Replaces the area, if it is still at `expectedVersion`.
    public func update(_ id: UUID, _ input: AreaInput, expectedVersion: Int, by actor: Actor) async throws -> AreaRecord {
        try FundingRules.mayManage(actor)
        try FundingRules.check(version: expectedVersion)
        let draft = try await draft(input)
        return try await reportingFailures {
            try await areas.update(id, draft, expectedVersion: expectedVersion)
            guard let area = try await areas.area(id: id) else { throw FundingError.areaNotFound }
            return area
        }
    }

    public func delete(_ id: UUID, expectedVersion: Int?, by actor: Actor) async throws {
        try FundingRules.mayManage(actor)
        if let expectedVersion { try FundingRules.check(version: expectedVersion) }
        try await reportingFailures { try await areas.delete(id, expectedVersion: expectedVersion) }
    }

    /// Hub-admins, and funders (whose agreements name areas).
    static func mayRead(_ actor: Actor) throws {
        if case .deny(let reason) = AccessPolicy.decide(actor, .viewFundingAgreements(funder: actor.organisationID)) { throw reason.failure }
    }

    private func draft(_ input: AreaInput) async throws -> AreaDraft {
        let name = input.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count), !PlaceName.folded(name).isEmpty else { throw FundingError.invalidAreaName.failure }
        let description = input.description?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (description?.count ?? 0) <= 1000 else { throw FundingError.descriptionTooLong.failure }
        let members: [NamedArea.Member]
        switch input.members {
        case .codes(let codes):
            members = codes
            let malformed = codes.filter { !FundingRules.wellFormed($0) }.map { member -> UnknownPlace in
                switch member {
                case .municipality(let code), .region(let code): UnknownPlace(line: nil, text: String(code.prefix(20)))
                }
            }
            guard malformed.isEmpty else { throw FundingError.unknownPlaces(malformed).failure }
        case .lines(let text):
            guard text.utf8.count <= 20_000 else { throw FundingError.tooManyMembers(FundingRules.maximumMembers).failure }
            members = try await reportingFailures { try await areas.resolve(lines: text) }
        }
        guard !members.isEmpty else { throw FundingError.noMembers.failure }
        guard members.count <= FundingRules.maximumMembers else { throw FundingError.tooManyMembers(FundingRules.maximumMembers).failure }
        return AreaDraft(name: name, description: description?.isEmpty == false ? description : nil, members: members)
    }
}
