#if !LIBGPIOD_V2
import CGPIOD

#if canImport(Glibc)
import Glibc
#endif

/// What libgpiod v1 calls need beyond ``SystemCall`` (which captures errno at once and
/// retries EINTR): the request type and flags a request maps to.
enum LibgpiodV1 {
    /// The C request type and flags for a request.
    static func requestConfig(_ request: GPIOLineRequest) -> (type: Int32, flags: Int32, initialValue: Int32) {
        var flags = 0
        if request.activeLow { flags |= Int(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) }
        switch request.bias {
        case .asIs: break
        case .disabled: flags |= Int(GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE)
        case .pullUp: flags |= Int(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP)
        case .pullDown: flags |= Int(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN)
        }
        let type: Int
        var initialValue: Int32 = 0
        switch request.direction {
        case .input(.none): type = Int(GPIOD_LINE_REQUEST_DIRECTION_INPUT)
        case .input(.rising): type = Int(GPIOD_LINE_REQUEST_EVENT_RISING_EDGE)
        case .input(.falling): type = Int(GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE)
        case .input(.both): type = Int(GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES)
        case .output(let value, let drive):
            type = Int(GPIOD_LINE_REQUEST_DIRECTION_OUTPUT)
            initialValue = value ? 1 : 0
            switch drive {
            case .pushPull: break
            case .openDrain: flags |= Int(GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN)
            case .openSource: flags |= Int(GPIOD_LINE_REQUEST_FLAG_OPEN_SOURCE)
            }
        }
        return (Int32(type), Int32(flags), initialValue)
    }

    static func edgeEvent(_ event: gpiod_line_event, offset: UInt32) -> GPIOEdgeEvent {
        let nanoseconds = UInt64(max(0, event.ts.tv_sec)) * 1_000_000_000 + UInt64(max(0, event.ts.tv_nsec))
        let type: GPIOEdgeEvent.EdgeType =
            Int(event.event_type) == Int(GPIOD_LINE_EVENT_RISING_EDGE) ? .rising : .falling
        return GPIOEdgeEvent(type: type, timestampNanoseconds: nanoseconds, offset: offset)
    }
}

#endif
