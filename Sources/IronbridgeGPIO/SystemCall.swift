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
}
