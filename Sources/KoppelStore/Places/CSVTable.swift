import Foundation

/// A CSV file with a header row (RFC 4180: commas, double quotes around fields that hold them, "" for a quote).
/// Rows are read as dictionaries by column name, each with its line number for messages.
struct CSVTable {
    struct Row {
        let line: Int
        let fields: [String: String]

        subscript(_ column: String) -> String { fields[column] ?? "" }
    }

    let name: String
    let rows: [Row]

    /// Parses `text`; throws when the header lacks one of `columns` or a row has another number of fields.
    init(name: String, text: String, columns: [String]) throws {
        self.name = name
        var records = try Self.records(text)
        guard !records.isEmpty else { throw ReferenceDataError(file: name, line: 1, reason: "the file is empty; it needs a header row") }
        let header = records.removeFirst().fields
        for column in columns where !header.contains(column) {
            throw ReferenceDataError(file: name, line: 1, reason: "the header has no column \(column) (it needs \(columns.joined(separator: ",")))")
        }
        rows = try records.map { record in
            guard record.fields.count == header.count else {
                throw ReferenceDataError(file: name, line: record.line, reason: "\(record.fields.count) fields where the header has \(header.count)")
            }
            return Row(line: record.line, fields: Dictionary(zip(header, record.fields), uniquingKeysWith: { first, _ in first }))
        }
    }

    private static func records(_ text: String) throws -> [(line: Int, fields: [String])] {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var recordLine = 1
        var characters = text.makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let character = pending { pending = nil; return character }
            return characters.next()
        }
        while let character = next() {
            if quoted {
                if character == "\"" {
                    if let following = next() {
                        if following == "\"" { field.append("\"") } else { quoted = false; pending = following }
                    } else { quoted = false }
                } else {
                    if character == "\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty: quoted = true
            case ",": fields.append(field); field = ""
            case "\n", "\r\n":
                fields.append(field)
                if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
                fields = []; field = ""; line += 1; recordLine = line
            case "\r": continue
            default: field.append(character)
            }
        }
        if quoted { throw ReferenceDataError(file: "", line: recordLine, reason: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty { fields.append(field); records.append((recordLine, fields)) }
        return records
    }
}

/// What is wrong with a reference data file, and where.
public struct ReferenceDataError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int
    public let reason: String

    public var description: String { "\(file):\(line): \(reason)" }
}
