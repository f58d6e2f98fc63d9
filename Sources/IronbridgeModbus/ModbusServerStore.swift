import Synchronization

/// The state shared by a server's serving thread and its Swift accessors, behind one
/// `Mutex`; requests are served (`modbus_reply`) while holding the same lock, so a
/// reader never sees half of a multi-register write.
final class ModbusServerStore: Sendable {
    let state: Mutex<ModbusServerState>

    init(_ state: consuming ModbusServerState) {
        self.state = Mutex(state)
    }
}
