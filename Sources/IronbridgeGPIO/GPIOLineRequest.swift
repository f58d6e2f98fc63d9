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

    public init(
        direction: Direction, bias: GPIOBias = .asIs, activeLow: Bool = false,
        consumer: String = GPIOLineRequest.defaultConsumer
    ) {
        self.direction = direction
        self.bias = bias
        self.activeLow = activeLow
        self.consumer = consumer
    }

    /// An input, optionally watching edges.
    public static func input(
        edge: GPIOEdgeDetection = .none, bias: GPIOBias = .asIs, activeLow: Bool = false,
        consumer: String = GPIOLineRequest.defaultConsumer
    ) -> GPIOLineRequest {
        GPIOLineRequest(direction: .input(edge: edge), bias: bias, activeLow: activeLow, consumer: consumer)
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
