import ArgumentParser

@main
struct Koppel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "koppel",
        abstract: "Koppel: the referral hub for organisations supporting victims of human trafficking and domestic violence.",
        subcommands: [Serve.self, Migrate.self, SeedDemo.self, OrganisationCommand.self, UserCommand.self, TokenCommand.self, KeysCommand.self, AuditCommand.self, ErasuresCommand.self, RetentionCommand.self, CalendarCommand.self, MailCommand.self, DirectoryCommand.self, ReferenceCommand.self]
    )
}
