import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore
import KoppelUseCases

/// Creates (a referral, a consent) and Task updates (a step): mapped, then handed to the use case.
extension FHIRDoor {
    func create(_ type: String, _ request: Request, _ actor: Actor) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        if type == "Consent" {
            let incoming = try IncomingConsent(try FHIRInput.resource(body, type: "Consent"))
            let consent = try await useCases.recordConsent.run(incoming.consent, for: incoming.clientID, by: actor)
            let resource = FHIRConsents.consent(consent, today: WallClock.current.today())
            return try FHIRResponse.resource(resource, status: .created, location: "\(fullBase)\(Self.base)/Consent/\(consent.id.uuidString.lowercased())")
        }
        let incoming = try IncomingServiceRequest(try FHIRInput.resource(body, type: "ServiceRequest"))
        let identifier = try conditionalIdentifier(request, body: incoming.identifier)
        let referral: Referral
        var created = true
        if let identifier {
            (referral, created) = try await useCases.fileReferral.runOnce(incoming.referral, identifier: identifier, by: actor)
        } else {
            guard case .done(let filed) = try await useCases.fileReferral.run(incoming.referral, by: actor) else { preconditionFailure("no key, no replay") }
            referral = filed
        }
        let resource = try await referralResources("ServiceRequest", [referral], actor)[0]
        return try FHIRResponse.resource(
            resource, status: created ? .created : .ok, location: "\(fullBase)\(Self.base)/ServiceRequest/\(referral.id.uuidString.lowercased())")
    }

    /// The identifier a create is conditional on: `If-None-Exist: identifier=system|value`, which must agree with the
    /// resource's own identifier when it has one; else the resource's identifier.
    func conditionalIdentifier(_ request: Request, body: PartnerIdentifier?) throws -> PartnerIdentifier? {
        guard let header = request.headers[.ifNoneExist] else { return body }
        let parts = header.hasPrefix("identifier=") ? header.dropFirst("identifier=".count).split(separator: "|", maxSplits: 1).map(String.init) : []
        guard parts.count == 2 else { throw FHIRInvalid(kind: .structure, path: "If-None-Exist", key: "if_none_exist") }
        let asked = PartnerIdentifier(system: parts[0].removingPercentEncoding ?? parts[0], value: parts[1].removingPercentEncoding ?? parts[1])
        if let body, body != asked { throw FHIRInvalid(kind: .value, path: "ServiceRequest.identifier", key: "identifier_differs") }
        return asked
    }

    func update(_ type: String, id: UUID, _ request: Request, _ actor: Actor) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        let input = try FHIRInput.resource(body, type: "Task")
        if let given = try input.string("id"), given.lowercased() != id.uuidString.lowercased() {
            throw FHIRInvalid(kind: .structure, path: "Task.id", key: "id_differs")
        }
        let current = try await useCases.readReferrals.one(id, by: actor)
        let expected = try Self.expectedVersion(request)
        if let expected, expected != current.version { throw ReferralError.versionMismatch(current: current.version).failure }
        guard let step = try IncomingTaskUpdate(input, current: current).step else {
            return try FHIRResponse.resource(try await referralResources("Task", [current], actor)[0])
        }
        guard case .done(let changed) = try await useCases.takeReferralStep.run(id, step, by: actor, expectedVersion: expected ?? current.version) else {
            preconditionFailure("no key, no replay")
        }
        return try FHIRResponse.resource(try await referralResources("Task", [changed], actor)[0])
    }

    /// The version an `If-Match: W/"3"` names.
    static func expectedVersion(_ request: Request) throws -> Int? {
        guard let header = request.headers[.ifMatch] else { return nil }
        let digits = header.replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard let version = Int(digits), version > 0 else { throw FHIRInvalid(kind: .structure, path: "If-Match", key: "if_match") }
        return version
    }
}
