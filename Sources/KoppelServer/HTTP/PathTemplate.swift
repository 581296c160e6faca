/// How a path template is chosen for a request's path, in one place for the router's catalogue and the contract: as
/// OpenAPI resolves paths, the most literal template that fits is the path, whatever the method. At the first segment
/// where two fitting templates differ, a fixed word beats a `{parameter}`: `/clients/duplicate-check` is a path of its
/// own, so PATCH on it is 405, not a PATCH of a client whose id is "duplicate-check".
enum PathTemplate {
    static func isParameter(_ segment: some StringProtocol) -> Bool {
        segment.hasPrefix("{") && segment.hasSuffix("}")
    }

    /// Whether `template` (split in segments, its `shape` worked out once) fits the path's segments.
    static func fits(_ template: [some StringProtocol], shape: [Bool], _ segments: [some StringProtocol]) -> Bool {
        template.count == segments.count && segments.indices.allSatisfy { !shape[$0] || template[$0] == segments[$0] }
    }

    /// Per segment, whether it is a fixed word; templates of one shape that fit the same path are the same path.
    static func shape(_ template: [some StringProtocol]) -> [Bool] {
        template.map { !isParameter($0) }
    }

    /// Whether shape `a` is more literal than `b`, both fitting the same path.
    static func isMoreLiteral(_ a: [Bool], than b: [Bool]) -> Bool {
        for (left, right) in zip(a, b) where left != right { return left }
        return false
    }
}
