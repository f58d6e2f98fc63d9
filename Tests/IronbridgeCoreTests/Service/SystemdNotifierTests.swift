import Foundation
import IronbridgeCore
import IronbridgeTestSupport
import Testing

@Suite("sd_notify: datagrams to $NOTIFY_SOCKET, written without libsystemd")
struct SystemdNotifierTests {
    @Test("a message reaches a socket at a path, whole, as one datagram")
    func pathSocket() async throws {
        let path = "/tmp/ib-notify-\(UUID().uuidString.prefix(8)).sock"
        let listener = try NotifySocketListener(path: path)
        defer { listener.stop() }
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": path]))
        try notifier.send("READY=1\nSTATUS=all good")
        #expect(await eventually(within: 10) { !listener.messages.isEmpty })
        #expect(listener.messages.first?.fields == ["READY": "1", "STATUS": "all good"])
    }

    @Test("an abstract socket ('@name') is addressed by its name after a NUL byte")
    func abstractSocket() async throws {
        let name = "ironbridge-test-\(UUID().uuidString)"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = [UInt8(0)] + Array(name.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        try #require(bound == 0, "bind of the abstract socket failed: errno \(errno)")
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        try SystemdNotifier(socketPath: "@" + name).send("WATCHDOG=1")
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        #expect(count > 0 && String(decoding: buffer[0..<max(count, 0)], as: UTF8.self) == "WATCHDOG=1")
    }

    @Test("no $NOTIFY_SOCKET: no notifier; a socket nobody listens on: an error naming the path")
    func absentAndFailing() {
        #expect(SystemdNotifier(environment: [:]) == nil)
        let path = "/tmp/ib-nobody-\(UUID().uuidString.prefix(8)).sock"
        #expect { try SystemdNotifier(socketPath: path).send("READY=1") } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("No such file")
        }
    }

    @Test("$WATCHDOG_USEC gives the interval, unless $WATCHDOG_PID names another process")
    func watchdogInterval() {
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000"]) == .seconds(30))
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid())"]) == .seconds(30))
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "0"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: [:]) == nil)
    }
}
