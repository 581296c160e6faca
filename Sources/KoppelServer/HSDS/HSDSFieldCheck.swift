import Foundation
import KoppelCore

/// What Koppel needs of an imported record's fields beyond the HSDS schema: texts it can store (no NUL, a name that is
/// not blank), web addresses that are http(s) links, ages in whole years, service areas with a name, languages it
/// knows. Wrong types are the schema's to report; this reads what has the right type.
struct FieldCheck {
    let record: [String: Any]
    let recordName: String
    private(set) var errors: [ImportRecordError] = []

    static let maximumTextLength = 20_000

    init(record: [String: Any], recordName: String) {
        self.record = record
        self.recordName = recordName
    }

    mutating func fail(_ field: String, _ reason: String) {
        errors.append(ImportRecordError(record: recordName, field: field, reason: reason))
    }

    mutating func text(_ field: String, required: Bool) -> String? {
        guard let text = record[field] as? String else { return nil }
        if text.unicodeScalars.contains("\u{0}") {
            fail(field, "holds a NUL character, which no text may")
            return nil
        }
        if text.unicodeScalars.count > Self.maximumTextLength {
            fail(field, "is longer than \(Self.maximumTextLength) characters")
            return nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if required && trimmed.isEmpty {
            fail(field, "is blank; Koppel lists nothing without a name")
            return nil
        }
        return trimmed.isEmpty ? nil : trimmed
    }

    mutating func webAddress(_ field: String) -> String? {
        guard let text = record[field] as? String, !text.isEmpty else { return nil }
        guard text.count <= 2000, let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            fail(field, "must be a web address starting with https:// or http://")
            return nil
        }
        return text
    }

    mutating func age(_ field: String) -> Int? {
        guard let number = record[field] as? NSNumber, !JSONValue.isBoolean(number) else { return nil }
        let value = number.doubleValue
        guard value.rounded() == value, (0...120).contains(value) else {
            fail(field, "must be a whole number of years from 0 to 120")
            return nil
        }
        return Int(value)
    }

    mutating func serviceAreas() -> [ServiceArea] {
        guard let areas = record["service_areas"] as? [Any] else { return [] }
        return areas.enumerated().compactMap { index, value in
            guard let area = value as? [String: Any] else { return nil }
            guard let name = (area["name"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty,
                !name.unicodeScalars.contains("\u{0}"), name.count <= 200
            else {
                fail("service_areas", "service_areas[\(index)] needs a name (a municipality, region or country), up to 200 characters")
                return nil
            }
            return ServiceArea(name: name, extent: Self.countries.contains(name.lowercased()) ? .country : .municipality)
        }
    }

    /// Codes of the languages the record names, as ISO 639-1; only those Koppel can name on its pages (`known`).
    mutating func languages(known: Set<String>) -> [String] {
        guard let languages = record["languages"] as? [Any] else { return [] }
        var codes: [String] = []
        for (index, value) in languages.enumerated() {
            guard let language = value as? [String: Any], let code = (language["code"] as? String)?.lowercased() else {
                fail("languages", "languages[\(index)] needs a code (ISO 639-1, such as nl, or ISO 639-3, such as nld)")
                continue
            }
            guard let twoLetter = code.count == 2 ? code : Self.threeLetterCodes[code], known.contains(twoLetter) else {
                fail("languages", "languages[\(index)] has code '\(code.prefix(10))', which is not one of Koppel's languages (\(known.sorted().joined(separator: ", ")))")
                continue
            }
            if !codes.contains(twoLetter) { codes.append(twoLetter) }
        }
        return codes
    }

    /// Names of the countries Koppel's partners work in, which make a service area the whole country.
    static let countries: Set<String> = ["nederland", "netherlands", "the netherlands", "belgië", "belgie", "belgium", "belgique"]

    /// ISO 639-3 codes of the languages Koppel's programmes work in most, for publishers that write those.
    static let threeLetterCodes = [
        "nld": "nl", "eng": "en", "fra": "fr", "deu": "de", "ara": "ar", "tur": "tr", "pol": "pl", "ron": "ro", "bul": "bg",
        "rus": "ru", "ukr": "uk", "spa": "es", "por": "pt", "tir": "ti", "som": "so", "fas": "fa", "prs": "fa",
    ]
}
