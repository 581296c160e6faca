/// One page of a directory list, in HSDS's page shape: how many there are in all, which page this is, whether it is
/// the first or the last.
public struct DirectoryPage<Item: Sendable>: Sendable {
    public var items: [Item]
    public var totalItems: Int
    public var pageNumber: Int
    public var perPage: Int

    public init(items: [Item], totalItems: Int, pageNumber: Int, perPage: Int) {
        self.items = items
        self.totalItems = totalItems
        self.pageNumber = pageNumber
        self.perPage = perPage
    }

    /// Pages there are: none when there is nothing to list.
    public var totalPages: Int { (totalItems + perPage - 1) / perPage }
    public var isFirstPage: Bool { pageNumber == 1 }
    /// A page past the end is the last too: there is nothing after it.
    public var isLastPage: Bool { pageNumber >= totalPages }
    /// Whether this page lists nothing (no entry matched, or the page lies past the end).
    public var isEmpty: Bool { items.isEmpty }

    public func map<Other>(_ transform: (Item) throws -> Other) rethrows -> DirectoryPage<Other> {
        DirectoryPage<Other>(items: try items.map(transform), totalItems: totalItems, pageNumber: pageNumber, perPage: perPage)
    }
}
