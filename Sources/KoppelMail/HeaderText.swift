enum HeaderText {
    /// Header values must never contain CR or LF (header injection) nor other control
    /// characters; a tab is harmless.
    static func check(_ value: String, field: String) throws(MailMessageError) {
        if value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw MailMessageError("\(field) contains a line break (CR or LF), which is not allowed in a header")
        }
        let isControl = { (scalar: Unicode.Scalar) in
            (scalar.value < 0x20 && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
        }
        if value.unicodeScalars.contains(where: isControl) {
            throw MailMessageError("\(field) contains a control character")
        }
    }
}
