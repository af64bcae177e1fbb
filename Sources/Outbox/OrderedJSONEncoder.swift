import LocatedJSON

/// A JSON encoder that writes keys in the order `encode(to:)` encodes them, and absent optionals as
/// `null`. Foundation's encoder on
/// Linux emits keys in hash order, which makes metadata files hard to read and to diff; ours put
/// `schema` first, as the contract shows, and are byte-for-byte stable.
package struct OrderedJSONEncoder {
    package init() {}

    package func encode(_ value: some Encodable) throws -> [UInt8] {
        let root = Box()
        try value.encode(to: NodeEncoder(box: root, codingPath: []))
        var out = ""
        write(root.node, indent: 0, into: &out)
        out += "\n"
        return Array(out.utf8)
    }

    // MARK: - Tree

    enum Node {
        case empty
        case scalar(String)
        case object([(String, Box)])
        case array([Box])
    }

    final class Box {
        var node: Node = .empty
    }

    private func write(_ node: Node, indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch node {
        case .empty: out += "null"
        case .scalar(let text): out += text
        case .object(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{\n"
            for (i, (key, box)) in members.enumerated() {
                out += pad + JSONString.quote(key) + ": "
                write(box.node, indent: indent + 1, into: &out)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "}"
        case .array(let elements):
            if elements.isEmpty {
                out += "[]"
                return
            }
            out += "[\n"
            for (i, box) in elements.enumerated() {
                out += pad
                write(box.node, indent: indent + 1, into: &out)
                out += i == elements.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "]"
        }
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    // MARK: - Encoder

    struct NodeEncoder: Encoder {
        let box: Box
        var codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if case .object = box.node {} else { box.node = .object([]) }
            return KeyedEncodingContainer(Keyed<Key>(box: box, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if case .array = box.node {} else { box.node = .array([]) }
            return Unkeyed(box: box, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            Single(box: box, codingPath: codingPath)
        }
    }

    static func encodeValue(_ value: some Encodable, into box: Box, codingPath: [any CodingKey]) throws {
        switch value {
        case let v as String: box.node = .scalar(JSONString.quote(v))
        case let v as Bool: box.node = .scalar(v ? "true" : "false")
        case let v as Int: box.node = .scalar(String(v))
        case let v as Int64: box.node = .scalar(String(v))
        case let v as Double: box.node = .scalar(number(v))
        default: try value.encode(to: NodeEncoder(box: box, codingPath: codingPath))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: Box
        var codingPath: [any CodingKey]

        private func child(_ key: Key) -> Box {
            let child = Box()
            guard case .object(var members) = box.node else { return child }
            // Release the enum's reference first, so the change below does not copy the whole array.
            box.node = .empty
            if let index = members.firstIndex(where: { $0.0 == key.stringValue }) {
                members[index].1 = child
            } else {
                members.append((key.stringValue, child))
            }
            box.node = .object(members)
            return child
        }

        mutating func encodeNil(forKey key: Key) throws { child(key).node = .scalar("null") }
        mutating func encode(_ value: Bool, forKey key: Key) throws {
            child(key).node = .scalar(value ? "true" : "false")
        }
        mutating func encode(_ value: String, forKey key: Key) throws {
            child(key).node = .scalar(JSONString.quote(value))
        }
        mutating func encode(_ value: Double, forKey key: Key) throws {
            child(key).node = .scalar(OrderedJSONEncoder.number(value))
        }
        mutating func encode(_ value: Int, forKey key: Key) throws { child(key).node = .scalar(String(value)) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try OrderedJSONEncoder.encodeValue(value, into: child(key), codingPath: codingPath + [key])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type,
            forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            NodeEncoder(box: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            NodeEncoder(box: child(key), codingPath: codingPath + [key]).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { NodeEncoder(box: box, codingPath: codingPath) }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            NodeEncoder(box: child(key), codingPath: codingPath + [key])
        }

        // Absent optionals are written as an explicit `null` (the contract shows `"fallback": null`),
        // so no type needs a hand-written `encode(to:)` for that. Synthesized conformances call these.
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeOrNull(value, key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeOrNull(value, key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeOrNull(value, key) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws {
            try encodeOrNull(value.map(Double.init), key)
        }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeOrNull(value, key) }
        mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws {
            try encodeOrNull(value.map(Int.init), key)
        }
        mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws {
            try encodeOrNull(value.map(Int.init), key)
        }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws {
            try encodeOrNull(value.map(Int.init), key)
        }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeOrNull(value, key) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws {
            child(key).node = .scalar(value.map { String($0) } ?? "null")
        }
        mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws {
            try encodeOrNull(value.map(Int.init), key)
        }
        mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws {
            try encodeOrNull(value.map(Int.init), key)
        }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws {
            try encodeOrNull(value.map(Int.init), key)
        }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws {
            child(key).node = .scalar(value.map { String($0) } ?? "null")
        }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            try encodeOrNull(value, key)
        }

        private mutating func encodeOrNull<T: Encodable>(_ value: T?, _ key: Key) throws {
            guard let value else { return try encodeNil(forKey: key) }
            try encode(value, forKey: key)
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let box: Box
        var codingPath: [any CodingKey]

        var count: Int {
            if case .array(let elements) = box.node { return elements.count }
            return 0
        }

        private func next() -> Box {
            let child = Box()
            if case .array(var elements) = box.node {
                // Release the enum's reference first: otherwise every append copies the array, and a
                // session with 60,000 warnings took 20 s to encode.
                box.node = .empty
                elements.append(child)
                box.node = .array(elements)
            }
            return child
        }

        mutating func encodeNil() throws { next().node = .scalar("null") }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try OrderedJSONEncoder.encodeValue(value, into: next(), codingPath: codingPath)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type
        ) -> KeyedEncodingContainer<NestedKey> {
            NodeEncoder(box: next(), codingPath: codingPath).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            NodeEncoder(box: next(), codingPath: codingPath).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { NodeEncoder(box: next(), codingPath: codingPath) }
    }

    struct Single: SingleValueEncodingContainer {
        let box: Box
        var codingPath: [any CodingKey]

        mutating func encodeNil() throws { box.node = .scalar("null") }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try OrderedJSONEncoder.encodeValue(value, into: box, codingPath: codingPath)
        }
    }
}
