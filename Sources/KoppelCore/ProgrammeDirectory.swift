import Foundation

/// The public programme directory, as the server needs it. Implemented in KoppelStore.
public protocol ProgrammeDirectory: Sendable {
    /// Every programme that is listed publicly (open or paused), ordered by name.
    func listedProgrammes() async throws -> [Programme]
    /// One listed programme, or nil when there is none with this id.
    func listedProgramme(id: UUID) async throws -> Programme?
    /// One programme whatever its status, closed ones too (for those who manage it).
    func programme(id: UUID) async throws -> Programme?
}
