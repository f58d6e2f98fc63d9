#if canImport(Glibc)
import Glibc
#endif

/// The credentials the platform gave when the gateway provisioned itself:
/// `<dataFolder>/provisioned-credentials.json`, the platform's answer as it came, written
/// atomically (temporary file, fsync, rename, fsync of the folder) with mode 0600.
public struct ProvisionedCredentialsFile: Sendable {
    public let path: String
    let folder: String

    public init(dataFolder: String) {
        folder = dataFolder
        path = dataFolder + "/provisioned-credentials.json"
    }

    public enum Removal: Sendable, Equatable { case removed, absent, failed(String) }

    public var exists: Bool { access(path, F_OK) == 0 }

    /// The stored answer, or nil when there is none. Throws when it exists but cannot be used.
    public func load() throws(ProvisioningError) -> ThingsBoardConfig.Security? {
        guard exists else { return nil }
        let bytes: [UInt8]
        do {
            let file = try StorageFile.open(path, create: false)
            bytes = try file.read(count: try file.size, at: 0)
        } catch {
            throw ProvisioningError("cannot read \(path): \(error)")
        }
        let answer: JSONValue
        do { answer = try JSONValue.parse(bytes) } catch { throw ProvisioningError("\(path) is not JSON (\(error)); remove it to provision again") }
        guard let security = Self.security(from: answer) else {
            throw ProvisioningError("\(path) holds no usable credentials (expected credentialsType ACCESS_TOKEN or MQTT_BASIC with credentialsValue); remove it to provision again")
        }
        return security
    }

    /// The security settings an answer of the platform gives, or nil.
    public static func security(from answer: JSONValue) -> ThingsBoardConfig.Security? {
        switch answer["credentialsType"]?.stringValue {
        case "ACCESS_TOKEN":
            guard let token = answer["credentialsValue"]?.stringValue, !token.isEmpty else { return nil }
            return .accessToken(token)
        case "MQTT_BASIC":
            guard let value = answer["credentialsValue"] else { return nil }
            let clientID = value["clientId"]?.stringValue, username = value["userName"]?.stringValue ?? value["username"]?.stringValue
            guard clientID != nil || username != nil else { return nil }
            return .usernamePassword(clientID: clientID, username: username, password: value["password"]?.stringValue)
        default:
            return nil
        }
    }

    /// Stores `answer` atomically with mode 0600.
    public func save(_ answer: JSONValue) throws(StorageError) {
        try StorageFile.makeFolder(folder)
        try StorageFile.writeAtomically(answer.jsonBytes + [0x0A], to: path, mode: 0o600)
    }

    public func remove() -> Removal {
        guard exists else { return .absent }
        do {
            try StorageFile.remove(path)
            try StorageFile.syncFolder(folder)
            return .removed
        } catch {
            return .failed("cannot remove \(path): \(error)")
        }
    }
}

public struct ProvisioningError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
