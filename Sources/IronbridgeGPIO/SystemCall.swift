#if canImport(Glibc)
import Glibc
#endif

/// An errno captured after a failed C call.
struct CError: Error {
    var code: Int32
}

/// The narrow edge of the system calls this module makes itself (poll, eventfd): errno is
/// read right after the call, and EINTR is retried where the call is restartable.
enum SystemCall {
    /// Runs a call returning an int (< 0 on failure).
    static func status(retryingEINTR: Bool = true, _ body: () -> Int32) -> Result<Int32, CError> {
        while true {
            let result = body()
            if result >= 0 { return .success(result) }
            let code = errno
            if retryingEINTR && code == EINTR { continue }
            return .failure(CError(code: code))
        }
    }

    /// Runs a call returning a pointer (NULL on failure, errno set).
    static func pointer(_ body: () -> OpaquePointer?) -> Result<OpaquePointer, CError> {
        if let pointer = body() { return .success(pointer) }
        return .failure(CError(code: errno))
    }

    /// A copied C string, nil for NULL or empty.
    static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        guard let pointer, pointer.pointee != 0 else { return nil }
        return String(cString: pointer)
    }
}
