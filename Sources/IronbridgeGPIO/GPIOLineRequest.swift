/// Bias (internal pull resistor) of a line.
public enum GPIOBias: String, Sendable, Hashable, CaseIterable, Codable {
    /// Leave whatever the hardware or device tree set.
    case asIs
    case disabled
    case pullUp
    case pullDown
}

/// Which edges of an input produce events.
public enum GPIOEdgeDetection: String, Sendable, Hashable, CaseIterable, Codable {
    case none
    case rising
    case falling
    case both
}

/// Output drive.
public enum GPIODrive: String, Sendable, Hashable, CaseIterable, Codable {
    case pushPull
    case openDrain
    case openSource
}

/// The clock of edge-event timestamps. libgpiod 2.x sets it per line; 1.x always gets the
/// kernel's default (CLOCK_MONOTONIC on Linux 5.7 and later).
public enum GPIOEventClock: String, Sendable, Hashable, CaseIterable, Codable {
    case monotonic
    /// CLOCK_REALTIME (Unix time), libgpiod 2.x and Linux 5.11 or later only.
    case realtime
}

/// How to request a line: direction, edge detection or initial value, bias, active-low,
/// and the consumer name the kernel shows for it (`gpioinfo`).
///
/// Values are LOGICAL: with `activeLow`, reading a physically low line gives `true`,
/// writing `true` drives it low, and edges are reported for the logical value.
public struct GPIOLineRequest: Sendable, Hashable {
    public enum Direction: Sendable, Hashable {
        case input(edge: GPIOEdgeDetection)
        case output(initialValue: Bool, drive: GPIODrive)
    }

    /// The consumer name used unless another is given.
    public static let defaultConsumer = "ironbridge"

    public var direction: Direction
    public var bias: GPIOBias
    public var activeLow: Bool
    public var consumer: String
    /// Kernel debounce of an input's edges, in microseconds (0: none). Only backends with
    /// `supportsKernelDebounce` (libgpiod 2.x) accept a non-zero period.
    public var debounceMicroseconds: UInt32
    /// The clock of an input's edge timestamps.
    public var eventClock: GPIOEventClock

    public init(
        direction: Direction, bias: GPIOBias = .asIs, activeLow: Bool = false,
        consumer: String = GPIOLineRequest.defaultConsumer, debounceMicroseconds: UInt32 = 0,
        eventClock: GPIOEventClock = .monotonic
    ) {
        self.direction = direction
        self.bias = bias
        self.activeLow = activeLow
        self.consumer = consumer
        self.debounceMicroseconds = debounceMicroseconds
        self.eventClock = eventClock
    }

    /// An input, optionally watching edges.
    public static func input(
        edge: GPIOEdgeDetection = .none, bias: GPIOBias = .asIs, activeLow: Bool = false,
        consumer: String = GPIOLineRequest.defaultConsumer, debounceMicroseconds: UInt32 = 0,
        eventClock: GPIOEventClock = .monotonic
    ) -> GPIOLineRequest {
        GPIOLineRequest(
            direction: .input(edge: edge), bias: bias, activeLow: activeLow, consumer: consumer,
            debounceMicroseconds: debounceMicroseconds, eventClock: eventClock)
    }

    /// An output starting at `initialValue` (logical).
    public static func output(
        initialValue: Bool = false, drive: GPIODrive = .pushPull, bias: GPIOBias = .asIs,
        activeLow: Bool = false, consumer: String = GPIOLineRequest.defaultConsumer
    ) -> GPIOLineRequest {
        GPIOLineRequest(
            direction: .output(initialValue: initialValue, drive: drive), bias: bias,
            activeLow: activeLow, consumer: consumer)
    }

    public var isOutput: Bool {
        if case .output = direction { return true }
        return false
    }

    /// The edges watched; `.none` for outputs.
    public var edge: GPIOEdgeDetection {
        if case .input(let edge) = direction { return edge }
        return .none
    }

    /// Used in errors: "as input", "as input with both-edge events", "as output".
    public var summary: String {
        switch direction {
        case .input(.none): "as input"
        case .input(let edge): "as input with \(edge)-edge events"
        case .output: "as output"
        }
    }
}
