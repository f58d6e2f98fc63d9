#if LIBGPIOD_V2
import CGPIOD

#if canImport(Glibc)
import Glibc
#endif

/// What libgpiod 2.x calls need beyond ``SystemCall`` (which captures errno at once and
/// retries EINTR): the line settings a request maps to.
enum LibgpiodV2 {
    /// Fills a `gpiod_line_settings` from a request (the caller owns and frees it).
    /// Fails with the errno of the first setter libgpiod refused.
    static func settings(_ request: GPIOLineRequest) -> Result<OpaquePointer, CError> {
        guard let settings = gpiod_line_settings_new() else { return .failure(CError(code: errno)) }
        var steps: [() -> Int32] = []
        switch request.direction {
        case .input(let edge):
            steps.append { gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_INPUT) }
            steps.append { gpiod_line_settings_set_edge_detection(settings, lineEdge(edge)) }
            if edge != .none {
                steps.append { gpiod_line_settings_set_event_clock(settings, lineClock(request.eventClock)) }
            }
            if request.debounceMicroseconds > 0 {
                gpiod_line_settings_set_debounce_period_us(settings, UInt(request.debounceMicroseconds))
            }
        case .output(let initialValue, let drive):
            steps.append { gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_OUTPUT) }
            steps.append { gpiod_line_settings_set_drive(settings, lineDrive(drive)) }
            steps.append {
                gpiod_line_settings_set_output_value(
                    settings, initialValue ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE)
            }
        }
        steps.append { gpiod_line_settings_set_bias(settings, lineBias(request.bias)) }
        gpiod_line_settings_set_active_low(settings, request.activeLow)
        for step in steps {
            if case .failure(let error) = SystemCall.status(step) {
                gpiod_line_settings_free(settings)
                return .failure(error)
            }
        }
        return .success(settings)
    }

    static func lineEdge(_ edge: GPIOEdgeDetection) -> gpiod_line_edge {
        switch edge {
        case .none: GPIOD_LINE_EDGE_NONE
        case .rising: GPIOD_LINE_EDGE_RISING
        case .falling: GPIOD_LINE_EDGE_FALLING
        case .both: GPIOD_LINE_EDGE_BOTH
        }
    }

    static func lineBias(_ bias: GPIOBias) -> gpiod_line_bias {
        switch bias {
        case .asIs: GPIOD_LINE_BIAS_AS_IS
        case .disabled: GPIOD_LINE_BIAS_DISABLED
        case .pullUp: GPIOD_LINE_BIAS_PULL_UP
        case .pullDown: GPIOD_LINE_BIAS_PULL_DOWN
        }
    }

    static func lineDrive(_ drive: GPIODrive) -> gpiod_line_drive {
        switch drive {
        case .pushPull: GPIOD_LINE_DRIVE_PUSH_PULL
        case .openDrain: GPIOD_LINE_DRIVE_OPEN_DRAIN
        case .openSource: GPIOD_LINE_DRIVE_OPEN_SOURCE
        }
    }

    static func lineClock(_ clock: GPIOEventClock) -> gpiod_line_clock {
        switch clock {
        case .monotonic: GPIOD_LINE_CLOCK_MONOTONIC
        case .realtime: GPIOD_LINE_CLOCK_REALTIME
        }
    }

    /// A line's state from a `gpiod_line_info` (not freed here).
    static func lineInfo(_ info: OpaquePointer, offset: UInt32) -> GPIOLineInfo {
        let bias: GPIOBias =
            switch gpiod_line_info_get_bias(info) {
            case GPIOD_LINE_BIAS_DISABLED: .disabled
            case GPIOD_LINE_BIAS_PULL_UP: .pullUp
            case GPIOD_LINE_BIAS_PULL_DOWN: .pullDown
            default: .asIs
            }
        let drive: GPIODrive =
            switch gpiod_line_info_get_drive(info) {
            case GPIOD_LINE_DRIVE_OPEN_DRAIN: .openDrain
            case GPIOD_LINE_DRIVE_OPEN_SOURCE: .openSource
            default: .pushPull
            }
        return GPIOLineInfo(
            offset: offset, name: SystemCall.string(gpiod_line_info_get_name(info)),
            consumer: SystemCall.string(gpiod_line_info_get_consumer(info)), isUsed: gpiod_line_info_is_used(info),
            direction: gpiod_line_info_get_direction(info) == GPIOD_LINE_DIRECTION_OUTPUT ? .output : .input,
            activeLow: gpiod_line_info_is_active_low(info), bias: bias, drive: drive)
    }

    /// One event of an edge event buffer.
    static func edgeEvent(_ event: OpaquePointer) -> GPIOEdgeEvent {
        let type: GPIOEdgeEvent.EdgeType =
            gpiod_edge_event_get_event_type(event) == GPIOD_EDGE_EVENT_RISING_EDGE ? .rising : .falling
        return GPIOEdgeEvent(
            type: type, timestampNanoseconds: gpiod_edge_event_get_timestamp_ns(event),
            offset: UInt32(gpiod_edge_event_get_line_offset(event)))
    }
}
#endif
