import BackstopContracts
import Foundation

/// A registered organisation: the unit that holds keys, publishes and subscribes.
public struct Organisation: Sendable, Hashable {
    /// Lowercase letters, digits and hyphens, starting with a letter (`dept-health`).
    public var id: String
    /// What kind of organisation it is; decides what it may publish and subscribe to.
    public var kind: OrganisationKind
    /// Its name, for people.
    public var name: String
    /// The division code it belongs to (county, township or village).
    public var districtCode: String
    /// When it was registered.
    public var createdAt: Date
    /// When it was disabled (its keys stop working), if it was.
    public var disabledAt: Date?
    /// How many of its keys are active.
    public var activeKeys: Int

    /// Every rule a new organisation breaks, by field.
    public static func problems(id: String, name: String, districtCode: String) -> [ContractViolation] {
        var out: [ContractViolation] = []
        if !OrganisationID.isValid(id) { out.append(ContractViolation(field: "id", message: "must be 2–63 lowercase letters, digits or hyphens, starting with a letter")) }
        if name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 200 {
            out.append(ContractViolation(field: "name", message: "must be 1–200 characters"))
        }
        if ![6, 9, 12].contains(districtCode.count) || !districtCode.allSatisfy({ $0.isASCII && $0.isNumber }) {
            out.append(ContractViolation(field: "district", message: "must be a division code of 6, 9 or 12 digits"))
        }
        return out
    }
}

/// An organisation proven by a key: who is asking.
public struct Principal: Sendable, Hashable {
    /// The organisation's id.
    public var organisation: String
    /// Its kind.
    public var kind: OrganisationKind
    /// Its division code.
    public var districtCode: String
    /// The key it used (empty: a read made without a key, such as a webhook push).
    public var keyID: String

    /// Creates a principal.
    public init(organisation: String, kind: OrganisationKind, districtCode: String, keyID: String = "") {
        self.organisation = organisation
        self.kind = kind
        self.districtCode = districtCode
        self.keyID = keyID
    }

    /// The CloudEvents `source` this organisation publishes as.
    public var source: String { "/orgs/\(organisation)" }
}

/// A newly issued key. The secret is shown once and never stored; only its hash is kept.
public struct IssuedKey: Sendable, Hashable {
    /// The key's id.
    public var id: String
    /// The organisation it belongs to.
    public var organisation: String
    /// The whole key, for the `Authorization: Bearer …` header.
    public var secret: String
    /// Its first characters, kept to identify it (in lists and for revoking).
    public var prefix: String
}

/// A stored key, without its secret.
public struct KeyRecord: Sendable, Hashable {
    /// The key's id.
    public var id: String
    /// Its first characters.
    public var prefix: String
    /// The organisation it belongs to.
    public var organisation: String
    /// When it was issued.
    public var createdAt: Date
    /// When it was revoked, if it was.
    public var revokedAt: Date?
    /// When it was last used (to the minute).
    public var lastUsedAt: Date?
}
