@testable import IronbridgeCore
import IronbridgeTestSupport
import Synchronization
import Testing

@Suite("session limits and rate limits")
struct SessionLimitsTests {
    @Test("rate limit texts parse; malformed ones are rejected")
    func parsing() {
        #expect(RateLimit(parsing: "10:1,300:60")?.windows == [.init(count: 10, seconds: 1), .init(count: 300, seconds: 60)])
        for bad in ["", "10", "a:1", "10:0", "-1:1", "10:1,", "10:1:2"] {
            #expect(RateLimit(parsing: bad) == nil, "\(bad)")
        }
        #expect(RateLimit(parsing: "10:1,300:60")?.scaled(by: 0.8).windows.map(\.count) == [8, 240])
        #expect(RateLimit(parsing: "1:1")?.scaled(by: 0.8).windows.map(\.count) == [1])
    }

    @Test("the server's answer is kept to 80 %, gateway limits win, missing keys keep the defaults")
    func answer() throws {
        let defaults = SessionLimits(maxPayloadSize: 65536, maxInflightMessages: 100)
        let answer = try JSONValue.parse(#"{"maxPayloadSize": 10000, "maxInflightMessages": 50, "rateLimits": {"messages": "100:1"}, "gatewayRateLimits": {"messages": "20:1", "telemetryDataPoints": "1000:1"}}"#)
        let limits = SessionLimits(answer: answer, defaults: defaults)
        #expect(limits.maxPayloadSize == 8000)
        #expect(limits.maxInflightMessages == 40)
        #expect(limits.messages?.windows.map(\.count) == [16])
        #expect(limits.telemetryDataPoints?.windows.map(\.count) == [800])
        #expect(limits.telemetryMessages == nil)
        #expect(SessionLimits(answer: "garbage", defaults: defaults) == defaults)
    }

    @Test("a rate limiter admits up to the limit per window, then asks to wait until the window ends")
    func limiter() throws {
        var limiter = RateLimiter(RateLimit(parsing: "3:1,5:10"))
        let start = ContinuousClock.now
        #expect(limiter.reserve(1, now: start) == .zero)
        #expect(limiter.reserve(2, now: start) == .zero)
        #expect(limiter.reserve(1, now: start + .milliseconds(400)) == .milliseconds(600))
        #expect(limiter.reserve(1, now: start + .seconds(1)) == .zero)
        #expect(limiter.reserve(1, now: start + .seconds(2)) == .zero)
        // The 10 s window is now full (5).
        #expect(limiter.reserve(1, now: start + .seconds(3)) == .seconds(7))
        var unlimited = RateLimiter(nil)
        #expect(unlimited.reserve(1_000_000) == .zero)
    }
}

@Suite("batch encoding for the Gateway MQTT API")
struct BatchEncoderTests {
    func stored(_ uploads: [Upload]) -> [StoredUpload] {
        uploads.enumerated().map { StoredUpload(sequence: UInt64($0.offset + 1), upload: $0.element) }
    }

    @Test("consecutive telemetry of several devices becomes one message grouped by device, in order")
    func groupsTelemetry() throws {
        let encoder = BatchEncoder(maxPayloadSize: 65536, platformName: { $0 == "A" ? "Renamed A" : $0 })
        let (batches, oversized) = encoder.encode(stored([
            .connect(device: "A", type: "meter"),
            .telemetry(TelemetryRecord(device: "A", timestamp: 1, values: [DataPoint("t", 1.5)])),
            .telemetry(TelemetryRecord(device: "B", timestamp: nil, values: [DataPoint("on", true)])),
            .telemetry(TelemetryRecord(device: "A", timestamp: 2, values: [DataPoint("t", 2)])),
            .attributes(device: "B", values: [DataPoint("serial", "X")]),
            .disconnect(device: "B"),
        ]))
        #expect(oversized.isEmpty)
        #expect(batches.map(\.topic) == ["v1/gateway/connect", "v1/gateway/telemetry", "v1/gateway/attributes", "v1/gateway/disconnect"])
        #expect(String(decoding: batches[0].payload, as: UTF8.self) == #"{"device":"Renamed A","type":"meter"}"#)
        #expect(String(decoding: batches[1].payload, as: UTF8.self) == #"{"Renamed A":[{"ts":1,"values":{"t":1.5}},{"ts":2,"values":{"t":2}}],"B":[{"values":{"on":true}}]}"#)
        #expect(String(decoding: batches[2].payload, as: UTF8.self) == #"{"B":{"serial":"X"}}"#)
        #expect(batches.map(\.sequences.ranges) == [[1...1], [2...4], [5...5], [6...6]])
        #expect(batches[1].points == 3 && batches[1].records == 3)
    }

    @Test("batches stay below the payload limit; a record too large alone is set aside")
    func splits() throws {
        let encoder = BatchEncoder(maxPayloadSize: 200, platformName: { $0 })
        let records = (0..<30).map { Upload.telemetry(TelemetryRecord(device: "Meter", timestamp: Int64($0), values: [DataPoint("value", .int(Int64($0)))])) }
        let huge = Upload.telemetry(TelemetryRecord(device: "Meter", timestamp: 0, values: [DataPoint("blob", .string(String(repeating: "x", count: 500)))]))
        let (batches, oversized) = encoder.encode(stored(records + [huge]))
        #expect(batches.count > 1)
        #expect(batches.allSatisfy { $0.payload.count <= 200 }, "\(batches.map(\.payload.count))")
        #expect(batches.map(\.records).reduce(0, +) == 30)
        #expect(oversized.map(\.sequence) == [31])
        let values = try batches.flatMap { batch in
            try JSONValue.parse(batch.payload)["Meter"]!.arrayValue!.map { $0["values"]!["value"]!.intValue! }
        }
        #expect(values == (0..<30).map(Int64.init))
    }
}

@Suite("requests waiting for the platform's answer")
struct PendingRepliesTests {
    @Test("a cancelled wait always returns, however early the cancellation comes")
    func cancellationNeverHangs() async throws {
        let replies = PendingReplies()
        for id in Int64(1)...300 {
            let done = Mutex(false)
            let waiting = Task {
                _ = try? await replies.wait(id: id, timeout: .seconds(60)) { }
                done.withLock { $0 = true }
            }
            if id % 3 == 0 { await Task.yield() }
            waiting.cancel()
            // Polled, not awaited: a wait that hangs must fail the test, not hang it.
            let finished = await eventually(within: 5) { done.withLock { $0 } }
            #expect(finished, "the wait for id \(id) did not return after cancellation")
            if !finished { return }
        }
    }

    @Test("an answer that arrives before the waiter is ready is kept")
    func earlyAnswer() async throws {
        let replies = PendingReplies()
        let value = try await replies.wait(id: 7, timeout: .seconds(5)) { replies.resolve(id: 7, with: "early") }
        #expect(value == "early")
        #expect(!replies.resolve(id: 7, with: "late"))
    }
}
