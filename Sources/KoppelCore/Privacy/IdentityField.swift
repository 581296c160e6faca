import Foundation

/// The kinds of identifying data a consent can permit or deny, each a set of identity fields.
public enum DataClass: String, CaseIterable, Sendable, Codable, Hashable {
    /// Name, date of birth, gender, nationality, languages.
    case identity
    /// Phone, e-mail, address.
    case contact
    /// Safety notes, such as "never contact at the home address".
    case safety
    /// Free text about the person.
    case notes
}

/// One piece of identifying data about a client. Stored only in the vault, each sealed on its own.
public enum IdentityField: String, CaseIterable, Sendable, Codable, Hashable {
    case name
    case birthDate = "birth_date"
    case gender
    case nationality
    case languages
    case phone
    case email
    case address
    case safetyNotes = "safety_notes"
    case notes

    public var dataClass: DataClass {
        switch self {
        case .name, .birthDate, .gender, .nationality, .languages: .identity
        case .phone, .email, .address: .contact
        case .safetyNotes: .safety
        case .notes: .notes
        }
    }

    /// The most characters a value may have.
    public var maximumLength: Int {
        switch self {
        case .safetyNotes, .notes: 4000
        case .address: 500
        default: 200
        }
    }
}

/// What Koppel holds on who a client is: some identity fields, each with a value. The name and date of birth
/// are required when a client is registered; the rest as known.
public struct ClientIdentity: Sendable, Equatable {
    public var values: [IdentityField: String]

    public init(_ values: [IdentityField: String]) {
        self.values = values
    }

    /// Empty values are dropped: a field is known or it is not.
    public var cleaned: ClientIdentity {
        ClientIdentity(values.compactMapValues { value in
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        })
    }

    /// What is wrong, in the words a person can act on; empty when the identity can be stored.
    /// `complete` asks for the name and date of birth a new client must have.
    public func problems(complete: Bool) -> [String] {
        var problems: [String] = []
        if complete {
            if values[.name] == nil { problems.append("name is required.") }
            if values[.birthDate] == nil { problems.append("birth_date is required.") }
        }
        for field in IdentityField.allCases {
            guard let value = values[field] else { continue }
            if value.count > field.maximumLength { problems.append("\(field.rawValue) may have at most \(field.maximumLength) characters.") }
        }
        if let day = values[.birthDate], !CalendarDay.isValid(day) {
            problems.append("birth_date must be a real day written YYYY-MM-DD.")
        }
        if let email = values[.email], email.wholeMatch(of: /[^@\s]+@[^@\s]+\.[^@\s]+/) == nil {
            problems.append("email must look like name@example.nl.")
        }
        if let phone = values[.phone], phone.wholeMatch(of: /\+?[0-9 ()\-]{6,20}/) == nil {
            problems.append("phone may hold digits, spaces, brackets, dashes and a leading +, 6 to 20 of them.")
        }
        return problems
    }
}

/// The name and date of birth, normalised so that the same person written two ways gives the same key: case,
/// accents, punctuation and the order of name parts do not count. Only ever fed to the keyed blind index.
public enum DuplicateKey {
    public static func normalised(name: String, birthDate: String) -> String {
        let folded = name.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
        let parts = folded.split { !$0.isLetter && !$0.isNumber }.map(String.init).sorted()
        return parts.joined(separator: " ") + "|" + birthDate
    }
}
