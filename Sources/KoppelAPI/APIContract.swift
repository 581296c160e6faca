import Foundation

/// The API contract as shipped with the binary, served at `GET /openapi.yaml`.
public enum APIContract {
    /// The text of `openapi.yaml`.
    public static let yaml: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { preconditionFailure("openapi.yaml is missing from the KoppelAPI bundle") }
        return text
    }()
}
