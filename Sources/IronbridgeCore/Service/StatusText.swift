import IronbridgeSystem

/// Renders a status report (``Gateway/statusReport()``, as JSON) for people: the lines
/// `ironbridge status` prints, and the one-line summary sent to systemd as `STATUS=`.
public enum StatusText {
    /// "connected to tb:1883; 3 devices (2 answering); 12.5 points/s; 0 buffered".
    public static func summary(_ report: JSONValue) -> String {
        let platform = report["platform"]
        let connected = platform?["connected"]?.boolValue == true
        let endpoint = platform?["endpoint"]?.stringValue ?? "the platform"
        let devices = report["devices"]?.arrayValue ?? []
        let answering = devices.filter { $0["reachable"]?.boolValue == true }.count
        let rate = report["pointsPerSecond"]?.doubleValue ?? 0
        let buffered = report["storage"]?["pending"]?.intValue ?? 0
        var text = "\(connected ? "connected to" : "not connected to") \(endpoint); \(devices.count) device(s) (\(answering) answering); "
        text += "\(number(rate)) points/s; \(buffered) buffered"
        if let stalled = report["watchdog"]?["stalled"]?.arrayValue, !stalled.isEmpty {
            text += "; stalled: " + stalled.compactMap(\.stringValue).joined(separator: ", ")
        }
        return text
    }

    /// The multi-line report `ironbridge status` prints.
    public static func report(_ report: JSONValue) -> String {
        var lines: [String] = []
        let platform = report["platform"]
        lines.append("ironbridge \(report["version"]?.stringValue ?? "?") (pid \(report["pid"]?.intValue ?? 0))")
        lines.append("platform: \(platform?["endpoint"]?.stringValue ?? "?") \(platform?["connected"]?.boolValue == true ? "connected" : "NOT connected")")
        lines.append("points: \(report["pointsRead"]?.intValue ?? 0) read, \(number(report["pointsPerSecond"]?.doubleValue ?? 0))/s")
        if let storage = report["storage"] {
            var text = "buffered: \(storage["pending"]?.intValue ?? 0) record(s) (\(storage["type"]?.stringValue ?? "?") store"
            if let age = storage["oldestAgeSeconds"]?.doubleValue { text += ", oldest \(number(age)) s" }
            text += ", \(storage["dropped"]?.intValue ?? 0) dropped, \(storage["bytesOnDisk"]?.intValue ?? 0) bytes on disk)"
            if let error = storage["diskError"]?.stringValue { text += "; disk not used: \(error)" }
            lines.append(text)
        }
        let devices = report["devices"]?.arrayValue ?? []
        lines.append("devices: \(devices.count)")
        for device in devices {
            let name = device["name"]?.stringValue ?? "?"
            var text = "  \(name) [\(device["connector"]?.stringValue ?? "?")]"
            if let platformName = device["platformName"]?.stringValue { text += " (on the platform: \(platformName))" }
            switch device["reachable"]?.boolValue {
            case true?: text += " answering"
            case false?: text += " NOT answering"
            case nil: text += " not polled yet"
            }
            if let at = device["lastValueAt"]?.stringValue {
                text += ", last value \(at) (\(number(device["lastValueAgeSeconds"]?.doubleValue ?? 0)) s ago)"
            } else {
                text += ", no value yet"
            }
            text += ", \(device["errors"]?.intValue ?? 0) error(s)"
            lines.append(text)
        }
        for line in report["modbusLines"]?.arrayValue ?? [] {
            var text = "modbus line \(line["line"]?.stringValue ?? "?"): \(line["requests"]?.intValue ?? 0) request(s), \(line["failures"]?.intValue ?? 0) failed"
            if let mean = line["meanMs"]?.doubleValue {
                text += ", round trip last \(number(line["lastMs"]?.doubleValue ?? 0)) ms, mean \(number(mean)) ms, max \(number(line["maxMs"]?.doubleValue ?? 0)) ms"
            }
            lines.append(text)
        }
        let parts = report["watchdog"]?["parts"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let stalled = report["watchdog"]?["stalled"]?.arrayValue?.compactMap(\.stringValue) ?? []
        lines.append("watchdog: \(parts.count) part(s) alive" + (stalled.isEmpty ? "" : "; STALLED: \(stalled.joined(separator: ", "))"))
        return lines.joined(separator: "\n")
    }

    /// UTC, to the millisecond: "2026-11-24T02:10:03.120Z".
    public static func isoTime(milliseconds: Int64) -> String {
        TextFormat.isoTime(unixMilliseconds: milliseconds)
    }

    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : TextFormat.fixed(value, decimals: 1)
    }
}
