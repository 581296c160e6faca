import Foundation
import NIOCore

/// Something wrong in a resource a partner sent, at an element path (`ServiceRequest.subject`): refused as a 400
/// (not FHIR JSON, wrong shape) or 422 (a value Koppel cannot map), with a message from the catalogue.
struct FHIRInvalid: Error, Equatable {
    enum Kind { case structure, value }
    let kind: Kind
    let path: String
    /// Catalogue key under `fhir.error.`, and what fills it.
    let key: String
    var arguments: [String: String] = [:]
}

/// A JSON object of a FHIR resource a partner sent, read with its element path so every refusal names the element.
struct FHIRInput {
    let values: [String: Any]
    let path: String

    /// The body as a resource of `resourceType`.
    static func resource(_ body: ByteBuffer, type resourceType: String) throws -> FHIRInput {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            throw FHIRInvalid(kind: .structure, path: resourceType, key: "not_json")
        }
        guard object["resourceType"] as? String == resourceType else {
            throw FHIRInvalid(kind: .structure, path: "\(resourceType).resourceType", key: "resource_type", arguments: ["type": resourceType])
        }
        return FHIRInput(values: object, path: resourceType)
    }

    private func at(_ key: String) -> String { "\(path).\(key)" }

    func string(_ key: String) throws -> String? {
        guard let value = values[key] else { return nil }
        guard let text = value as? String, !text.isEmpty, text.count <= 1000 else {
            throw FHIRInvalid(kind: .structure, path: at(key), key: "not_a_string")
        }
        return text
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw FHIRInvalid(kind: .value, path: at(key), key: "required") }
        return text
    }

    func object(_ key: String) throws -> FHIRInput? {
        guard let value = values[key] else { return nil }
        guard let object = value as? [String: Any] else { throw FHIRInvalid(kind: .structure, path: at(key), key: "not_an_object") }
        return FHIRInput(values: object, path: at(key))
    }

    func requiredObject(_ key: String) throws -> FHIRInput {
        guard let object = try object(key) else { throw FHIRInvalid(kind: .value, path: at(key), key: "required") }
        return object
    }

    /// The elements of an array of objects; none when absent.
    func objects(_ key: String) throws -> [FHIRInput] {
        guard let value = values[key] else { return [] }
        guard let array = value as? [Any], array.count <= 100 else { throw FHIRInvalid(kind: .structure, path: at(key), key: "not_an_array") }
        return try array.enumerated().map { index, element in
            guard let object = element as? [String: Any] else {
                throw FHIRInvalid(kind: .structure, path: "\(at(key))[\(index)]", key: "not_an_object")
            }
            return FHIRInput(values: object, path: "\(at(key))[\(index)]")
        }
    }

    /// The id in a reference `Type/id` to one of `types`, ids being Koppel's UUIDs.
    func reference(_ key: String, to types: [String]) throws -> (type: String, id: UUID)? {
        guard let reference = try object(key) else { return nil }
        return try reference.referenced(types)
    }

    func requiredReference(_ key: String, to types: [String]) throws -> (type: String, id: UUID) {
        guard let found = try reference(key, to: types) else { throw FHIRInvalid(kind: .value, path: at(key), key: "required") }
        return found
    }

    /// This object read as a Reference to one of `types`.
    func referenced(_ types: [String]) throws -> (type: String, id: UUID) {
        let text = try requiredString("reference")
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, types.contains(String(parts[0])), let id = UUID(uuidString: String(parts[1])) else {
            throw FHIRInvalid(kind: .value, path: at("reference"), key: "reference", arguments: ["types": types.joined(separator: ", ")])
        }
        return (String(parts[0]), id)
    }

    /// The code of this CodeableConcept's coding in `system`, which must be one of `known`.
    func code(in system: String, known: [String]) throws -> String? {
        for (index, coding) in try objects("coding").enumerated() where try coding.string("system") == system {
            guard let code = try coding.string("code"), known.contains(code) else {
                throw FHIRInvalid(
                    kind: .value, path: "\(at("coding"))[\(index)].code", key: "unknown_code",
                    arguments: ["system": system, "codes": known.joined(separator: ", ")])
            }
            return code
        }
        return nil
    }

    /// A coded value of ours in a CodeableConcept element, required.
    func requiredCode(_ key: String, system: String, known: [String]) throws -> String {
        let concept = try requiredObject(key)
        guard let code = try concept.code(in: system, known: known) else {
            throw FHIRInvalid(kind: .value, path: "\(at(key)).coding", key: "coding_missing", arguments: ["system": system])
        }
        return code
    }

    /// The extension with `url`, whose `value…` element the caller reads.
    func extensionElement(_ url: String) throws -> FHIRInput? {
        try objects("extension").first { try $0.string("url") == url }
    }

    func extensionCode(_ url: String, known: [String]) throws -> String? {
        guard let element = try extensionElement(url) else { return nil }
        guard let code = try element.string("valueCode"), known.contains(code) else {
            throw FHIRInvalid(kind: .value, path: "\(element.path).valueCode", key: "unknown_code", arguments: ["system": url, "codes": known.joined(separator: ", ")])
        }
        return code
    }
}
