#if LIBGPIOD_V2
import CGPIOD
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An open GPIO chip: owns one libgpiod 2.x `struct gpiod_chip *`, closed in `deinit`
/// (`gpiod_chip_close`), which happens only after every line requested from it is gone (each
/// `GPIOLineHandleV2` keeps its chip, so that "the chip stays open while a line is held"
/// holds for both backends).
///
/// Thread-safe: libgpiod's chip object is not, so every call on it is made under `lock`.
public final class GPIOChipV2: GPIOChipProtocol, @unchecked Sendable {
    // @unchecked Sendable: the only mutable state is behind `handle`, a C object touched
    // only while holding `lock` (or in deinit, when no other reference exists); every
    // other stored property is an immutable value.
    private let handle: OpaquePointer
    private let lock = Mutex<Void>(())

    public let name: String
    public let label: String
    public let path: String
    public let lineCount: Int

    /// Opens a chip device (`gpiod_chip_open`, `gpiod_chip_get_info`). `asked` names it in errors.
    init(path: String, asked: String) throws(GPIOError) {
        let handle: OpaquePointer
        switch SystemCall.pointer({ gpiod_chip_open(path) }) {
        case .success(let opened): handle = opened
        case .failure(let error): throw GPIOError(errno: error.code, operation: "opening", chip: asked)
        }
        guard let info = gpiod_chip_get_info(handle) else {
            let code = errno
            gpiod_chip_close(handle)
            throw GPIOError(errno: code, operation: "reading info of", chip: asked)
        }
        defer { gpiod_chip_info_free(info) }
        self.handle = handle
        self.name = SystemCall.string(gpiod_chip_info_get_name(info)) ?? asked
        self.label = SystemCall.string(gpiod_chip_info_get_label(info)) ?? ""
        self.lineCount = Int(gpiod_chip_info_get_num_lines(info))
        self.path = SystemCall.string(gpiod_chip_get_path(handle)) ?? path
    }

    deinit {
        gpiod_chip_close(handle)
    }

    private func checkOffset(_ offset: UInt32, _ operation: String, detail: String? = nil) throws(GPIOError) {
        guard Int(offset) < lineCount else {
            throw GPIOError(
                kind: .lineNotFound, operation: operation, chip: name, line: GPIOLineReference(offset: offset),
                detail: detail, message: "the chip has \(lineCount) lines")
        }
    }

    /// `gpiod_chip_get_line_info` and the `gpiod_line_info_*` getters.
    public func lineInfo(offset: UInt32) throws(GPIOError) -> GPIOLineInfo {
        try checkOffset(offset, "reading info of")
        return try lock.withLock { _ throws(GPIOError) -> GPIOLineInfo in
            guard let info = gpiod_chip_get_line_info(handle, offset) else {
                throw GPIOError(
                    errno: errno, operation: "reading info of", chip: name, line: GPIOLineReference(offset: offset))
            }
            defer { gpiod_line_info_free(info) }
            return LibgpiodV2.lineInfo(info, offset: offset)
        }
    }

    /// `gpiod_chip_get_line_offset_from_name`.
    public func findLine(named lineName: String) throws(GPIOError) -> UInt32 {
        try lock.withLock { _ throws(GPIOError) -> UInt32 in
            switch SystemCall.status({ gpiod_chip_get_line_offset_from_name(handle, lineName) }) {
            case .success(let offset): return UInt32(offset)
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

    /// Requests one line: line settings -> line config -> request config ->
    /// `gpiod_chip_request_lines`. Each line gets its own request (and file descriptor), so
    /// lines are held and released one by one, as with v1.
    public func requestLine(offset: UInt32, _ request: GPIOLineRequest) throws(GPIOError) -> any GPIOLineProtocol {
        try requestHandle(offset: offset, request)
    }

    /// Requests a line, returning the concrete handle.
    public func requestHandle(offset: UInt32, _ request: GPIOLineRequest) throws(GPIOError) -> GPIOLineHandleV2 {
        try checkOffset(offset, "requesting", detail: request.summary)
        let lineName = try? lineInfo(offset: offset).name
        let reference = GPIOLineReference(offset: offset, name: lineName)
        func failure(_ code: Int32) -> GPIOError {
            GPIOError(errno: code, operation: "requesting", chip: name, line: reference, detail: request.summary)
        }
        let settings: OpaquePointer
        switch LibgpiodV2.settings(request) {
        case .success(let made): settings = made
        case .failure(let error): throw failure(error.code)
        }
        defer { gpiod_line_settings_free(settings) }
        guard let lineConfig = gpiod_line_config_new() else { throw failure(errno) }
        defer { gpiod_line_config_free(lineConfig) }
        var offsets = [offset]
        if case .failure(let error) = SystemCall.status({
            gpiod_line_config_add_line_settings(lineConfig, &offsets, 1, settings)
        }) {
            throw failure(error.code)
        }
        guard let requestConfig = gpiod_request_config_new() else { throw failure(errno) }
        defer { gpiod_request_config_free(requestConfig) }
        gpiod_request_config_set_consumer(requestConfig, request.consumer)
        gpiod_request_config_set_event_buffer_size(requestConfig, GPIOLineHandleV2.eventBufferCapacity)

        var requested: Result<OpaquePointer, CError> = .failure(CError(code: EINVAL))
        lock.withLock { _ in
            requested = SystemCall.pointer { gpiod_chip_request_lines(handle, requestConfig, lineConfig) }
        }
        switch requested {
        case .success(let lineRequest):
            guard let buffer = gpiod_edge_event_buffer_new(GPIOLineHandleV2.eventBufferCapacity) else {
                let code = errno
                gpiod_line_request_release(lineRequest)
                throw failure(code)
            }
            return GPIOLineHandleV2(
                chip: self, cRequest: lineRequest, buffer: buffer, offset: offset, name: lineName, request: request)
        case .failure(let error):
            throw failure(error.code)
        }
    }
}
#endif
