import ArgumentParser
import NIOCore
import NIOPosix

@main
struct Koppel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "koppel",
        abstract: "Koppel: the referral hub for organisations supporting victims of human trafficking and domestic violence.",
        subcommands: [Serve.self, Migrate.self, SeedDemo.self, OrganisationCommand.self, UserCommand.self, TokenCommand.self, KeysCommand.self, AuditCommand.self, ErasuresCommand.self, RetentionCommand.self, CalendarCommand.self, MailCommand.self, DirectoryCommand.self, ReferenceCommand.self]
    )

    /// Swift Concurrency runs its tasks on SwiftNIO's event loops, the threads that also read and write Koppel's HTTP
    /// and PostgreSQL connections: a request's task no longer hands over to another pool of threads and back at every
    /// round trip (issue 23, `docs/benchmarks.md`). Installed first, on the main thread, before any task runs.
    static func main() async {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
