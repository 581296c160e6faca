/// A command that could not do its work, with what to do about it. Printed as `Error: …`, without the usage text
/// (which ArgumentParser adds to a `ValidationError`, meant for malformed arguments).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
