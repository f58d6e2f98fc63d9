#if !LIBGPIOD_V2
import CGPIOD
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An open GPIO chip: owns one libgpiod v1 `struct gpiod_chip *`, closed in `deinit`
/// (`gpiod_chip_close`), which happens only after every `GPIOLineHandle` requested from
/// it is gone (each keeps its chip alive: libgpiod's line objects live inside the chip).
///
/// Thread-safe: libgpiod's chip object is not (`gpiod_chip_get_line` fills a cache), so
/// every call on it is made under `lock`.
public final class GPIOChip: GPIOChipProtocol, @unchecked Sendable {
    // @unchecked Sendable: the only mutable state is behind `handle`, a C object touched
    // only while holding `lock` (or in deinit, when no other reference exists); every
    // other stored property is an immutable value.
    private let handle: OpaquePointer
    private let lock = Mutex<Void>(())

    public let name: String
    public let label: String
    public let path: String
    public let lineCount: Int

    /// Opens a chip by name, path, number or label.
    public convenience init(_ identifier: GPIOChipIdentifier) throws(GPIOError) {
        switch identifier {
        case .name(let name): try self.init(name: name)
        case .path(let path): try self.init(path: path)
        case .number(let number): try self.init(name: "gpiochip\(number)")
        case .label(let label): try self.init(label: label)
        }
    }

    /// Opens `/dev/<name>` (`gpiod_chip_open_by_name`).
    public convenience init(name: String) throws(GPIOError) {
        let result = SystemCall.pointer { gpiod_chip_open_by_name(name) }
        try self.init(opened: result, asked: name, path: "/dev/\(name)")
    }

    /// Opens a chip device by path (`gpiod_chip_open`).
    public convenience init(path: String) throws(GPIOError) {
        let result = SystemCall.pointer { gpiod_chip_open(path) }
        try self.init(opened: result, asked: path, path: path)
    }

    /// Opens the chip whose label matches (`gpiod_chip_iter_*` over /dev/gpiochip*).
    public convenience init(label: String) throws(GPIOError) {
        let asked = GPIOChipIdentifier.label(label).description
        guard let iterator = gpiod_chip_iter_new() else {
            throw GPIOError(errno: errno, operation: "opening", chip: asked)
        }
        var found: OpaquePointer?
        while let chip = gpiod_chip_iter_next_noclose(iterator) {
            if found == nil, SystemCall.string(gpiod_chip_label(chip)) == label {
                found = chip
            } else {
                gpiod_chip_close(chip)
            }
        }
        gpiod_chip_iter_free_noclose(iterator)
        guard let found else {
            throw GPIOError(
                kind: .chipNotFound, operation: "opening", chip: asked,
                message: "no GPIO chip has that label")
        }
        let name = SystemCall.string(gpiod_chip_name(found)) ?? label
        self.init(handle: found, path: "/dev/\(name)")
    }

    private convenience init(opened: Result<OpaquePointer, CError>, asked: String, path: String) throws(GPIOError) {
        switch opened {
        case .success(let handle): self.init(handle: handle, path: path)
        case .failure(let error): throw GPIOError(errno: error.code, operation: "opening", chip: asked)
        }
    }

    private init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.name = SystemCall.string(gpiod_chip_name(handle)) ?? path
        self.label = SystemCall.string(gpiod_chip_label(handle)) ?? ""
        self.lineCount = Int(gpiod_chip_num_lines(handle))
        self.path = path
    }

    deinit {
        gpiod_chip_close(handle)
    }

    /// The line object for an offset; lock held.
    private func line(at offset: UInt32, operation: String, detail: String? = nil) throws(GPIOError) -> OpaquePointer {
        guard Int(offset) < lineCount else {
            throw GPIOError(
                kind: .lineNotFound, operation: operation, chip: name,
                line: GPIOLineReference(offset: offset), detail: detail,
                message: "the chip has \(lineCount) lines")
        }
        switch SystemCall.pointer({ gpiod_chip_get_line(handle, offset) }) {
        case .success(let line): return line
        case .failure(let error):
            throw GPIOError(
                errno: error.code, operation: operation, chip: name,
                line: GPIOLineReference(offset: offset), detail: detail)
        }
    }

    /// `gpiod_line_update` and the `gpiod_line_*` getters.
    public func lineInfo(offset: UInt32) throws(GPIOError) -> GPIOLineInfo {
        try lock.withLock { _ throws(GPIOError) -> GPIOLineInfo in
            let line = try line(at: offset, operation: "reading info of")
            let name = SystemCall.string(gpiod_line_name(line))
            if case .failure(let error) = SystemCall.status({ gpiod_line_update(line) }) {
                throw GPIOError(
                    errno: error.code, operation: "reading info of", chip: self.name,
                    line: GPIOLineReference(offset: offset, name: name))
            }
            let bias: GPIOBias =
                switch Int(gpiod_line_bias(line)) {
                case Int(GPIOD_LINE_BIAS_DISABLE): .disabled
                case Int(GPIOD_LINE_BIAS_PULL_UP): .pullUp
                case Int(GPIOD_LINE_BIAS_PULL_DOWN): .pullDown
                default: .asIs
                }
            let drive: GPIODrive =
                gpiod_line_is_open_drain(line) ? .openDrain : gpiod_line_is_open_source(line) ? .openSource : .pushPull
            return GPIOLineInfo(
                offset: offset, name: name, consumer: SystemCall.string(gpiod_line_consumer(line)),
                isUsed: gpiod_line_is_used(line),
                direction: Int(gpiod_line_direction(line)) == Int(GPIOD_LINE_DIRECTION_OUTPUT) ? .output : .input,
                activeLow: Int(gpiod_line_active_state(line)) == Int(GPIOD_LINE_ACTIVE_STATE_LOW),
                bias: bias, drive: drive)
        }
    }

    /// `gpiod_chip_find_line`.
    public func findLine(named lineName: String) throws(GPIOError) -> UInt32 {
        try lock.withLock { _ throws(GPIOError) -> UInt32 in
            switch SystemCall.pointer({ gpiod_chip_find_line(handle, lineName) }) {
            case .success(let line):
                return gpiod_line_offset(line)
            case .failure(let error) where error.code == ENOENT:
                throw GPIOError(
                    kind: .lineNotFound, operation: "finding", chip: name,
                    line: GPIOLineReference(offset: nil, name: lineName), message: "no such line name")
            case .failure(let error):
                throw GPIOError(
                    errno: error.code, operation: "finding", chip: name,
                    line: GPIOLineReference(offset: nil, name: lineName))
            }
        }
    }

    /// Requests a line (`gpiod_line_request` with a `gpiod_line_request_config`).
    public func requestLine(offset: UInt32, _ request: GPIOLineRequest) throws(GPIOError) -> any GPIOLineProtocol {
        try requestHandle(offset: offset, request)
    }

    /// Requests the line with this name.
    public func requestHandle(named lineName: String, _ request: GPIOLineRequest) throws(GPIOError) -> GPIOLineHandle {
        try requestHandle(offset: try findLine(named: lineName), request)
    }

    /// Requests a line, returning the concrete handle.
    public func requestHandle(offset: UInt32, _ request: GPIOLineRequest) throws(GPIOError) -> GPIOLineHandle {
        try lock.withLock { _ throws(GPIOError) -> GPIOLineHandle in
            let line = try line(at: offset, operation: "requesting", detail: request.summary)
            let lineName = SystemCall.string(gpiod_line_name(line))
            if request.debounceMicroseconds > 0 || request.eventClock != .monotonic {
                throw GPIOError(
                    kind: .notSupported, operation: "requesting", chip: name,
                    line: GPIOLineReference(offset: offset, name: lineName), detail: request.summary,
                    message: "libgpiod 1.x has no kernel debounce and no choice of event clock")
            }
            let (type, flags, initialValue) = LibgpiodV1.requestConfig(request)
            let result = request.consumer.withCString { consumer in
                var config = gpiod_line_request_config(consumer: consumer, request_type: type, flags: flags)
                return SystemCall.status { gpiod_line_request(line, &config, initialValue) }
            }
            if case .failure(let error) = result {
                throw GPIOError(
                    errno: error.code, operation: "requesting", chip: name,
                    line: GPIOLineReference(offset: offset, name: lineName), detail: request.summary)
            }
            return GPIOLineHandle(chip: self, line: line, offset: offset, name: lineName, request: request)
        }
    }
}
#endif
