import Foundation

/// A referral's short reference: enough to find it in a list, nothing about the client.
public enum ReferralReference {
    public static func short(_ id: UUID) -> String {
        "K-" + id.uuidString.prefix(8).uppercased()
    }
}
