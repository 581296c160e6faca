/// Splits a SQL file into statements, so each can be sent over PostgreSQL's extended protocol
/// (PostgresNIO sends one statement per query). Aware of quotes, dollar quotes and comments,
/// so a `;` inside a string, identifier, function body or comment does not end a statement.
public enum SQLScript {
    public static func statements(in script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var scanner = Array(script.unicodeScalars)[...]
        var hasContent = false

        func finishStatement() {
            let trimmed = current.trimmingWhitespace()
            if hasContent && !trimmed.isEmpty { statements.append(trimmed) }
            current = ""
            hasContent = false
        }

        while let scalar = scanner.first {
            switch scalar {
            case ";":
                scanner.removeFirst()
                finishStatement()
            case "-" where scanner.dropFirst().first == "-":
                let comment = scanner.prefix { $0 != "\n" }
                scanner.removeFirst(comment.count)
            case "/" where scanner.dropFirst().first == "*":
                let comment = blockComment(in: scanner)
                scanner.removeFirst(comment)
                current.unicodeScalars.append(" ")
            case "'", "\"":
                let quoted = quotedRun(in: scanner, quote: scalar)
                current.unicodeScalars.append(contentsOf: scanner.prefix(quoted))
                scanner.removeFirst(quoted)
                hasContent = true
            case "$":
                if let tagLength = dollarTag(in: scanner) {
                    let body = dollarQuotedRun(in: scanner, tagLength: tagLength)
                    current.unicodeScalars.append(contentsOf: scanner.prefix(body))
                    scanner.removeFirst(body)
                } else {
                    current.unicodeScalars.append(scanner.removeFirst())
                }
                hasContent = true
            default:
                if !scalar.properties.isWhitespace { hasContent = true }
                current.unicodeScalars.append(scanner.removeFirst())
            }
        }
        finishStatement()
        return statements
    }

    /// Length of a `/* … */` comment at the start, honouring PostgreSQL's nesting.
    private static func blockComment(in text: ArraySlice<Unicode.Scalar>) -> Int {
        var depth = 0
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == "/", next < text.endIndex, text[next] == "*" {
                depth += 1
                index = text.index(after: next)
            } else if text[index] == "*", next < text.endIndex, text[next] == "/" {
                depth -= 1
                index = text.index(after: next)
                if depth == 0 { break }
            } else {
                index = next
            }
        }
        return index - text.startIndex
    }

    /// Length of a quoted run at the start; a doubled quote is an escaped quote.
    private static func quotedRun(in text: ArraySlice<Unicode.Scalar>, quote: Unicode.Scalar) -> Int {
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            if text[index] == quote {
                let next = text.index(after: index)
                if next < text.endIndex, text[next] == quote {
                    index = text.index(after: next)
                    continue
                }
                return next - text.startIndex
            }
            index = text.index(after: index)
        }
        return text.count
    }

    /// Length of a `$tag$` opening at the start, or nil when the `$` is not one (a parameter such as `$1`).
    private static func dollarTag(in text: ArraySlice<Unicode.Scalar>) -> Int? {
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let scalar = text[index]
            if scalar == "$" { return index - text.startIndex + 1 }
            let isTagScalar = scalar == "_" || scalar.properties.isAlphabetic || (index > text.startIndex + 1 && ("0"..."9").contains(scalar))
            if !isTagScalar { return nil }
            index = text.index(after: index)
        }
        return nil
    }

    private static func dollarQuotedRun(in text: ArraySlice<Unicode.Scalar>, tagLength: Int) -> Int {
        let tag = Array(text.prefix(tagLength))
        var index = text.startIndex + tagLength
        while index + tagLength <= text.endIndex {
            if Array(text[index..<(index + tagLength)]) == tag { return index + tagLength - text.startIndex }
            index += 1
        }
        return text.count
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
