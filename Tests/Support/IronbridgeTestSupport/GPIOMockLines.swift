import CGPIODMock
import Foundation

/// The line controls of the mocked libgpiod (Tests/Support/CGPIODMock) that every GPIO test uses.
public enum GPIOMockLines {
    /// Sets an input's physical level (with an event timestamp in CLOCK_MONOTONIC ns, if given).
    public static func drive(chip: String, offset: UInt32, level: Bool, timestamp: UInt64? = nil) {
        let result =
            if let timestamp { gpiod_mock_set_input_level_at(chip, offset, level ? 1 : 0, timestamp) }
            else { gpiod_mock_set_input_level(chip, offset, level ? 1 : 0) }
        precondition(result == 0, "driving \(chip) line \(offset) failed: errno \(errno)")
    }

    /// The physical level driven on an output; nil if the line is not requested as one.
    public static func outputLevel(chip: String, offset: UInt32) -> Bool? {
        let level = gpiod_mock_get_output_level(chip, offset)
        return level < 0 ? nil : level != 0
    }

    public static func isRequested(chip: String, offset: UInt32) -> Bool { gpiod_mock_line_is_requested(chip, offset) == 1 }
}
