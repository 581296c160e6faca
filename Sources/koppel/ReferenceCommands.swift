import ArgumentParser
import Foundation
import KoppelStore
import Logging

struct ReferenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference", abstract: "Reference data: municipalities and the regions they lie in.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load the Dutch and Belgian municipalities, their regions and other names from data/reference.",
            discussion: """
                Reads <country>-regions.csv, <country>-municipalities.csv and <country>-names.csv (nl, be) from the folder. \
                Every row is checked first; an error names file and line and nothing is stored. Municipalities are matched by \
                code and never deleted; one that ended keeps its code, and the statistics move it to its successor. Running \
                it again changes nothing. Where the files come from, and how to refresh them: data/reference/README.md.
                """)

        @OptionGroup var connection: OwnerConnection
        @Argument(help: "The folder with the files. [env: KOPPEL_REFERENCE_DIR; default: data/reference]")
        var directory: String?

        func run() async throws {
            let logger = Logger(label: "koppel.reference")
            let folder = directory ?? ProcessInfo.processInfo.environment["KOPPEL_REFERENCE_DIR"] ?? "data/reference"
            let data: ReferenceData
            do {
                data = try ReferenceData.load(from: URL(fileURLWithPath: folder))
            } catch let error as ReferenceDataError {
                throw CommandFailure("nothing was imported: \(error)")
            }
            let outcome = try await connection.withClient(logger: logger) { client in
                try await ReferenceImporter(client: client, logger: logger).run(data)
            }
            print(
                "imported \(outcome.municipalities) municipalities (\(outcome.municipalitiesAdded) added, \(outcome.municipalitiesChanged) changed), "
                    + "\(data.regions.count) regions (\(outcome.regionsChanged) added or changed), \(outcome.names) names; "
                    + "\(outcome.factsMoved) statistics facts moved to a successor")
        }
    }
}
