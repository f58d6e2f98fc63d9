import Synchronization

/// Caps the RPCs waiting for a reply, in total and per device, so that a flood of requests
/// cannot grow memory without bound: beyond a cap the RPC is refused at once with `busy`.
final class RPCAdmission: Sendable {
    private struct Counts {
        var total = 0
        var byDevice: [String: Int] = [:]
    }

    private let counts = Mutex(Counts())
    let maxTotal: Int
    let maxPerDevice: Int

    init(maxTotal: Int, maxPerDevice: Int) {
        self.maxTotal = maxTotal
        self.maxPerDevice = maxPerDevice
    }

    /// Takes a slot for `device` ("" for the gateway's own RPCs); nil when admitted, else why not.
    func admit(_ device: String) -> String? {
        counts.withLock { c in
            if c.total >= maxTotal {
                return "busy: \(maxTotal) RPCs are already waiting for their replies (thingsboard.maxPendingRpcs)"
            }
            let current = c.byDevice[device, default: 0]
            if !device.isEmpty, current >= maxPerDevice {
                return "busy: \(maxPerDevice) RPCs for this device are already waiting for their replies (thingsboard.maxPendingRpcsPerDevice)"
            }
            c.total += 1
            c.byDevice[device] = current + 1
            return nil
        }
    }

    func release(_ device: String) {
        counts.withLock { c in
            c.total -= 1
            let remaining = c.byDevice[device, default: 1] - 1
            c.byDevice[device] = remaining > 0 ? remaining : nil
        }
    }
}
