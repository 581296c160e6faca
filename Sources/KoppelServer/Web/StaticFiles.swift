import Foundation
import HTTPTypes
import Hummingbird

/// The stylesheet and other static files, read once from the bundle at start.
struct StaticFiles {
    let files: [String: (contentType: String, bytes: Data)]

    static func bundled() throws -> StaticFiles {
        guard let css = Bundle.module.url(forResource: "koppel", withExtension: "css", subdirectory: "Static") else {
            throw CatalogueError.missing("Static/koppel.css")
        }
        return StaticFiles(files: ["koppel.css": ("text/css; charset=utf-8", try Data(contentsOf: css))])
    }

    func register(on routes: RouteRegistrar) {
        for (name, file) in files {
            routes.get("/static/\(name)") { _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: file.contentType, .cacheControl: "public, max-age=3600"],
                    body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
            }
        }
    }
}
