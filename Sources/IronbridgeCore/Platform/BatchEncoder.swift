/// One MQTT message ready to go: the topic, the JSON encoded once, and the store sequences
/// it carries (released from the store when the broker acknowledges it).
struct EncodedBatch: Sendable {
    var topic: String
    var payload: [UInt8]
    var sequences: SequenceSet
    var records: Int
    var points: Int
    var isTelemetry: Bool
    /// A device-to-device message: its topic and payload are made when it is sent (``MessageOutbox``).
    var message: DeviceMessage? = nil
}

/// Turns stored uploads into Gateway MQTT API messages: consecutive telemetry of any
/// devices becomes one `v1/gateway/telemetry` message per `maxPayloadSize`, grouped by
/// device with each device's records in order; attributes likewise; connect and
/// disconnect go one per message. Names are mapped to platform names here, at send time.
struct BatchEncoder {
    var maxPayloadSize: Int
    var platformName: (String) -> String

    /// Encodes `items` into batches, in order. A single record larger than `maxPayloadSize`
    /// is returned in `oversized` and not encoded.
    func encode(_ items: [StoredUpload]) -> (batches: [EncodedBatch], oversized: [StoredUpload]) {
        var batches: [EncodedBatch] = []
        var oversized: [StoredUpload] = []
        var group = DeviceGroups()
        var groupKind: Kind?
        var names: [String: String] = [:]
        // One scratch buffer for every record, reused: a record is encoded once, measured, then copied into its device's part.
        var scratch = JSONWriter(reservingCapacity: 512)

        func name(_ configured: String) -> String {
            if let known = names[configured] { return known }
            let mapped = platformName(configured)
            names[configured] = mapped
            return mapped
        }

        func flush() {
            guard let kind = groupKind, !group.isEmpty else { return }
            batches.append(group.batch(topic: kind == .telemetry ? Topic.telemetry : Topic.attributes, isTelemetry: kind == .telemetry))
            group = DeviceGroups()
        }

        for item in items {
            switch item.upload {
            case .connect(let device, let type):
                flush(); groupKind = nil
                var writer = JSONWriter()
                writer.raw("{\"device\":"); writer.string(name(device))
                writer.raw(",\"type\":"); writer.string(type); writer.raw("}")
                batches.append(EncodedBatch(topic: Topic.connect, payload: writer.bytes, sequences: SequenceSet([item.sequence]), records: 1, points: 0, isTelemetry: false))
            case .disconnect(let device):
                flush(); groupKind = nil
                var writer = JSONWriter()
                writer.raw("{\"device\":"); writer.string(name(device)); writer.raw("}")
                batches.append(EncodedBatch(topic: Topic.disconnect, payload: writer.bytes, sequences: SequenceSet([item.sequence]), records: 1, points: 0, isTelemetry: false))
            case .message(let message):
                flush(); groupKind = nil
                batches.append(EncodedBatch(topic: "", payload: [], sequences: SequenceSet([item.sequence]), records: 1, points: 0,
                                            isTelemetry: false, message: message))
            case .telemetry(let record):
                if groupKind != .telemetry { flush(); groupKind = .telemetry }
                scratch.reset()
                scratch.byte(UInt8(ascii: "{"))
                if let timestamp = record.timestamp {
                    scratch.raw("\"ts\":"); scratch.int(timestamp); scratch.raw(",")
                }
                scratch.raw("\"values\":")
                Self.writeValues(record.values, into: &scratch)
                scratch.byte(UInt8(ascii: "}"))
                add(scratch.bytes, device: name(record.device), item: item, points: record.values.count)
            case .attributes(let device, let values):
                if groupKind != .attributes { flush(); groupKind = .attributes }
                scratch.reset()
                // Attributes of one device merge into one object: store the members without braces.
                for (position, point) in values.enumerated() {
                    if position > 0 { scratch.byte(UInt8(ascii: ",")) }
                    scratch.string(point.key); scratch.byte(UInt8(ascii: ":")); scratch.value(point.value)
                }
                add(scratch.bytes, device: name(device), item: item, points: values.count)
            }
        }
        flush()
        return (batches, oversized)

        func add(_ bytes: [UInt8], device: String, item: StoredUpload, points: Int) {
            let cost = bytes.count + device.utf8.count + 8
            if cost + 2 > maxPayloadSize {
                oversized.append(item)
                return
            }
            if group.size + cost > maxPayloadSize { flush() }
            group.add(bytes, device: device, cost: cost, sequence: item.sequence, points: points)
        }
    }

    static func writeValues(_ values: [DataPoint], into writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "{"))
        for (position, point) in values.enumerated() {
            if position > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.string(point.key)
            writer.byte(UInt8(ascii: ":"))
            writer.value(point.value)
        }
        writer.byte(UInt8(ascii: "}"))
    }

    private enum Kind { case telemetry, attributes }
}

/// Encoded records grouped by device, in first-seen device order: one buffer per device,
/// records separated by commas.
private struct DeviceGroups {
    var order: [String] = []
    var parts: [String: [UInt8]] = [:]
    var size = 2
    var sequences = SequenceSet()
    var records = 0
    var points = 0

    var isEmpty: Bool { records == 0 }

    mutating func add(_ bytes: [UInt8], device: String, cost: Int, sequence: UInt64, points: Int) {
        if parts[device] == nil {
            order.append(device)
            parts[device] = bytes
        } else {
            parts[device]!.append(UInt8(ascii: ","))
            parts[device]!.append(contentsOf: bytes)
        }
        size += cost
        sequences.insert(sequence)
        records += 1
        self.points += points
    }

    func batch(topic: String, isTelemetry: Bool) -> EncodedBatch {
        var writer = JSONWriter(reservingCapacity: size)
        writer.byte(UInt8(ascii: "{"))
        for (index, device) in order.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.string(device)
            writer.byte(UInt8(ascii: ":"))
            writer.byte(UInt8(ascii: isTelemetry ? "[" : "{"))
            writer.append(parts[device]!)
            writer.byte(UInt8(ascii: isTelemetry ? "]" : "}"))
        }
        writer.byte(UInt8(ascii: "}"))
        return EncodedBatch(topic: topic, payload: writer.bytes, sequences: sequences, records: records, points: points, isTelemetry: isTelemetry)
    }
}
