import Foundation
import KoppelCore
import KoppelStore

/// Imports an HSDS file into the directory: the one way the command line and the API both do it. Reads and checks
/// the whole file first; only a file without errors reaches the store, which writes it in one transaction.
public struct DirectoryImport: Sendable {
    let store: DirectoryImportStore
    let schema: HSDSSchema
    let languages: Set<String>

    public init(store: DirectoryImportStore) throws {
        self.store = store
        self.schema = try HSDSSchema.bundled()
        let catalogue = try Catalogues.bundled()[.english]
        self.languages = Set(catalogue.strings.keys.filter { $0.hasPrefix("language.") }.map { String($0.dropFirst("language.".count)) })
    }

    public enum Outcome: Sendable {
        case imported(ImportPlan)
        case refused([ImportRecordError])
    }

    /// `actor` is the hub-admin importing through the API (the policy is asked here too); nil on the command line.
    public func run(_ file: Data, dryRun: Bool, actingFor actor: Actor?) async throws -> Outcome {
        switch HSDSImportFile.read(file, schema: schema, languages: languages) {
        case .failure(let refusal):
            return .refused(refusal.errors)
        case .success(let records):
            let plan = try await store.run(
                organisations: records.organisations, services: records.services, dryRun: dryRun, actingFor: actor)
            return .imported(plan)
        }
    }
}
