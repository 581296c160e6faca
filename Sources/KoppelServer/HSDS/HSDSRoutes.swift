import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore

/// The directory as an Open Referral HSDS 3.0 publisher, at `/hsds`: public, like the directory pages, and read-only.
/// Every query value is checked by `DirectoryQuery` first; a bad one is a 400 that says what to send.
struct HSDSRoutes {
    let directory: any HSDSDirectory
    let catalogues: Catalogues

    func register(on routes: RouteRegistrar) {
        routes.get("/hsds") { request, context in
            try authorize(context)
            try refuseQuery(request, accepting: [])
            return try json(HSDS.Root(version: HSDS.version, openapiURL: "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"))
        }
        routes.get("/hsds/services") { request, context in
            try authorize(context)
            let query = try query(request, accepting: ["organization_id"])
            let catalogue = catalogue(request)
            let page = try await directory.services(query)
            return try json(HSDSMapping.page(page) { HSDSMapping.service($0, catalogue: catalogue, nested: false) })
        }
        routes.get("/hsds/services/{id}") { request, context in
            try authorize(context)
            try refuseQuery(request, accepting: [])
            let id = try identifier(context, "service", list: "/hsds/services")
            guard let entry = try await directory.service(id: id) else { throw Self.notFound("service", id, list: "/hsds/services") }
            return try json(HSDSMapping.service(entry, catalogue: catalogue(request), nested: true))
        }
        routes.get("/hsds/organizations") { request, context in
            try authorize(context)
            let query = try query(request, accepting: [])
            let catalogue = catalogue(request)
            let page = try await directory.organisations(query)
            return try json(HSDSMapping.page(page) { HSDSMapping.organization($0, catalogue: catalogue, nested: false) })
        }
        routes.get("/hsds/organizations/{id}") { request, context in
            try authorize(context)
            try refuseQuery(request, accepting: [])
            let id = try identifier(context, "organization", list: "/hsds/organizations")
            guard let organisation = try await directory.organisation(id: id) else {
                throw Self.notFound("organization", id, list: "/hsds/organizations")
            }
            return try json(HSDSMapping.organization(organisation, catalogue: catalogue(request), nested: true))
        }
        // Koppel publishes no locations: its programmes work in areas, and where a shelter or an apartment is must
        // never be public. The list exists, checked like the others, and is always empty (decision 0018).
        routes.get("/hsds/service_at_locations") { request, context in
            try authorize(context)
            let query = try query(request, accepting: ["organization_id"])
            let none = DirectoryPage<DirectoryEntry>(items: [], totalItems: 0, pageNumber: query.page, perPage: query.perPage)
            return try json(HSDSMapping.page(none) { HSDSMapping.service($0, catalogue: catalogue(request), nested: false) })
        }
    }

    private func authorize(_ context: AppRequestContext) throws {
        if case .deny(let reason) = AccessPolicy.decide(context.identity.actor, .viewDirectory) { throw Problem.denied(reason) }
    }

    private func query(_ request: Request, accepting extra: Set<String>) throws -> DirectoryQuery {
        switch DirectoryQuery.parse(ContractValidator.queryValues(request.uri.query ?? ""), accepting: extra) {
        case .success(let query): return query
        case .failure(let error): throw Problem(status: .badRequest, detail: error.message)
        }
    }

    /// A single document takes no filters; one given anyway is refused rather than ignored.
    private func refuseQuery(_ request: Request, accepting: Set<String>) throws {
        if let name = ContractValidator.queryValues(request.uri.query ?? "").keys.sorted().first {
            throw Problem(status: .badRequest, detail: "'\(name.prefix(40))' is not a parameter of this document; leave the query out.")
        }
    }

    private func identifier(_ context: AppRequestContext, _ kind: String, list: String) throws -> UUID {
        let text = context.parameters.get("id") ?? ""
        guard let id = UUID(uuidString: text) else {
            throw Problem(status: .badRequest, detail: "'\(text.prefix(60))' is not a \(kind) id; ids are UUIDs, as listed at \(list).")
        }
        return id
    }

    private static func notFound(_ kind: String, _ id: UUID, list: String) -> Problem {
        Problem(status: .notFound, detail: "No \(kind) in the directory has id \(id.uuidString.lowercased()); see \(list).")
    }

    private func catalogue(_ request: Request) -> Catalogue {
        catalogues[UILanguage.negotiate(parameter: nil, cookie: nil, acceptLanguage: request.headers[.acceptLanguage])]
    }

    private func json(_ document: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(document)
        return Response(
            status: .ok, headers: [.contentType: "application/json", .vary: "Accept-Language"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
