import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

// The benchmark's peer (issue 23): the least a server on the same stack can do for a read, to hold Koppel's
// one-referral read against. Hummingbird 2 and PostgresNIO, one prepared-by-the-driver statement per request, one row
// as JSON; no authentication, no row-level security, no middleware. `scripts/bench` runs it beside Koppel, on the
// same database, pool size and load generator. Not part of Koppel: nothing else starts it.
//
//   PEER_DATABASE_URL=postgres://user:password@host:port/database PEER_PORT=8090 PEER_POOL_SIZE=10 koppel-bench-peer

// As Koppel does (`Koppel.main`): tasks run on SwiftNIO's event loops.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

struct Row: ResponseEncodable {
    let id: UUID
    let state: String
    let version: Int
}

let environment = ProcessInfo.processInfo.environment
guard let url = environment["PEER_DATABASE_URL"].flatMap(URLComponents.init(string:)), let host = url.host,
    let user = url.user, let database = url.path.split(separator: "/").first.map(String.init)
else {
    FileHandle.standardError.write(Data("PEER_DATABASE_URL must be postgres://user:password@host:port/database\n".utf8))
    exit(2)
}
var configuration = PostgresClient.Configuration(
    host: host, port: url.port ?? 5432, username: user, password: url.password, database: database, tls: .disable)
configuration.options.maximumConnections = Int(environment["PEER_POOL_SIZE"] ?? "") ?? 10
let logger = Logger(label: "peer")
let client = PostgresClient(configuration: configuration, backgroundLogger: logger)

let router = Router()
router.get("rows/:id") { _, context -> Row in
    guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw HTTPError(.badRequest) }
    let rows = try await client.query("SELECT id, state, version FROM referrals WHERE id = \(id)", logger: logger)
    for try await (id, state, version) in rows.decode((UUID, String, Int).self) {
        return Row(id: id, state: state, version: version)
    }
    throw HTTPError(.notFound)
}
var app = Application(
    router: router, configuration: .init(address: .hostname("127.0.0.1", port: Int(environment["PEER_PORT"] ?? "") ?? 8090)),
    logger: logger)
app.addServices(client)
try await app.runService()
