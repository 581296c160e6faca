import ArgumentParser
import Foundation
import KoppelCore
import KoppelServer
import KoppelStore
import Logging

struct DirectoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directory", abstract: "The programme directory as Open Referral HSDS 3.0.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load services and organizations from another HSDS 3.0 publisher (a municipality's social map, say).",
            discussion: """
                FILE holds {"organizations": […], "services": […]}, an HSDS page of services ({"contents": […]}) or a list of \
                services. Every record is checked against the HSDS 3.0 schema; any error refuses the whole file and nothing \
                is stored. Records are keyed by their HSDS ids, so importing a file again changes only what changed. Imported \
                services are listed but take no referrals until a hub-admin opens them (docs/hsds.md).
                """)

        @OptionGroup var connection: OwnerConnection
        @Argument(help: "The HSDS JSON file.") var file: String
        @Flag(help: "Show what would be added, changed and unchanged; store nothing.") var dryRun = false

        func run() async throws {
            let logger = Logger(label: "koppel.directory")
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw CommandFailure("cannot read \(file): \(error.localizedDescription)")
            }
            let outcome = try await connection.withClient(logger: logger) { client in
                try await DirectoryImport(store: DirectoryImportStore(client: client, logger: logger)).run(data, dryRun: dryRun, actingFor: nil)
            }
            switch outcome {
            case .refused(let errors):
                print("record\tfield\treason")
                for error in errors { print("\(error.record)\t\(error.field)\t\(error.reason)") }
                throw CommandFailure("\(file) was not imported: \(errors.count) error\(errors.count == 1 ? "" : "s"); nothing was stored")
            case .imported(let plan):
                for entry in plan.entries { print("\(entry.change.rawValue)\t\(entry.kind.rawValue)\t\(entry.hsdsID)\t\(entry.name)") }
                let summary = "\(plan.count(.added)) added, \(plan.count(.changed)) changed, \(plan.count(.unchanged)) unchanged"
                print(dryRun ? "dry run: \(summary) (nothing stored)" : "imported: \(summary)")
            }
        }
    }
}
