/// What importing a file would do, record by record: added, changed or unchanged. A dry run shows it; a real import
/// writes exactly the added and changed records.
public struct ImportPlan: Sendable, Hashable {
    public enum Change: String, Sendable, Hashable, Codable {
        case added, changed, unchanged
    }

    public struct Entry: Sendable, Hashable {
        public var kind: Kind
        public var hsdsID: String
        public var name: String
        public var change: Change

        public init(kind: Kind, hsdsID: String, name: String, change: Change) {
            self.kind = kind
            self.hsdsID = hsdsID
            self.name = name
            self.change = change
        }
    }

    public enum Kind: String, Sendable, Hashable, Codable {
        case organization, service
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public func count(_ change: Change) -> Int { entries.filter { $0.change == change }.count }

    /// A record compared with what Koppel keeps of it now.
    public static func change<Record: Equatable>(_ incoming: Record, existing: Record?) -> Change {
        guard let existing else { return .added }
        return existing == incoming ? .unchanged : .changed
    }
}
