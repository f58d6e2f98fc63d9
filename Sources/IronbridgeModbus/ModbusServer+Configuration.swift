extension ModbusServer {
    /// Where the server listens.
    public enum Transport: Sendable, Hashable {
        /// Modbus TCP on an IPv4 address (`modbus_new_tcp` + `modbus_tcp_listen`).
        /// Port 0 picks a free port; read it back from ``ModbusServer/endpoint``.
        case tcp(host: String = "127.0.0.1", port: Int = 0)
        /// Modbus RTU on a serial device or pty (`modbus_new_rtu` + `modbus_set_slave`).
        /// It answers `unitId`, or every unit id of ``Configuration/unitIds`` when given
        /// (libmodbus filters frames for other addresses; the server checks their CRC and
        /// answers those itself), like several slaves on one RS-485 line.
        case rtu(ModbusSerialSettings, unitId: Int)
        /// Modbus TCP over TLS on an IPv4 address: MBAP frames in a TLS stream, answered
        /// from the same register map (`settings` needs a certificate and key; with a CA
        /// file every client must present a certificate signed by it).
        case tls(host: String = "127.0.0.1", port: Int = 0, ModbusTLSSettings)
        /// Modbus ASCII on a serial device or pty (our framing, ``ModbusASCIILine``),
        /// answering `unitId`, or every unit id of ``Configuration/unitIds`` when given.
        case ascii(ModbusSerialSettings, unitId: Int)
    }

    /// Sizes of the register map and which unit ids are answered.
    public struct Configuration: Sendable, Hashable {
        public var coils: Int
        public var discreteInputs: Int
        public var holdingRegisters: Int
        public var inputRegisters: Int
        /// The unit ids answered; requests for others get no reply, like an absent slave.
        /// `nil` (the default) answers every unit id on TCP, the transport's `unitId` on RTU.
        public var unitIds: Set<Int>?
        /// TCP only: connections beyond this many are closed at once.
        public var maxClients: Int

        public init(
            coils: Int = 10_000, discreteInputs: Int = 10_000, holdingRegisters: Int = 10_000,
            inputRegisters: Int = 10_000, unitIds: Set<Int>? = nil, maxClients: Int = 64
        ) {
            self.coils = coils
            self.discreteInputs = discreteInputs
            self.holdingRegisters = holdingRegisters
            self.inputRegisters = inputRegisters
            self.unitIds = unitIds
            self.maxClients = maxClients
        }
    }

    /// The two bit tables.
    public enum BitTable: Sendable { case coils, discreteInputs }
    /// The two register tables.
    public enum RegisterTable: Sendable { case holding, input }
}
