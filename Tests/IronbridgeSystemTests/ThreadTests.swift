import Foundation
import IronbridgeSystem
import Testing

@Suite("IronbridgeSystem threads, locks and the clock")
struct ThreadTests {
    @Test("a started thread runs its body once, under its name (cut to Linux's 15 bytes)")
    func threadRunsNamed() {
        let seen = Locked<[String]>([])
        let done = ThreadCondition()
        for name in ["ironbridge-test", "modbus 127.0.0.1:15020"] {
            let thread = SystemThread {
                let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?"
                seen.withLock { $0.append(comm.trimmingCharacters(in: .newlines)) }
                done.withLock { done.broadcast() }
            }
            thread.name = name
            thread.start()
        }
        let deadline = SystemClock.monotonicNanoseconds() + 5_000_000_000
        done.lock()
        while seen.withLock({ $0.count }) < 2, done.wait(untilNanoseconds: deadline) {}
        done.unlock()
        #expect(Set(seen.withLock { $0 }) == ["ironbridge-test", "modbus 127.0.0."])
    }

    @Test("a timed wait with no signal times out after its time, on the monotonic clock")
    func timedWaitTimesOut() {
        let condition = ThreadCondition()
        let started = SystemClock.monotonicNanoseconds()
        condition.lock()
        var signalled = true
        for _ in 0..<100 where signalled {  // spurious wake-ups are allowed; bounded
            signalled = condition.wait(untilNanoseconds: started + 50_000_000)
        }
        condition.unlock()
        let waited = SystemClock.monotonicNanoseconds() - started
        #expect(!signalled)
        #expect(waited >= 50_000_000, "waited only \(waited) ns")
        #expect(waited < 5_000_000_000, "waited \(waited) ns")
    }

    @Test("a signal from another thread ends a wait before its deadline")
    func signalWakes() {
        let condition = ThreadCondition()
        let flag = Locked(false)
        condition.lock()
        SystemThread {
            SystemClock.sleep(nanoseconds: 10_000_000)
            condition.withLock {
                flag.withLock { $0 = true }
                condition.signal()
            }
        }.start()
        let deadline = SystemClock.monotonicNanoseconds() + 10_000_000_000
        while !flag.withLock({ $0 }), condition.wait(untilNanoseconds: deadline) {}
        condition.unlock()
        #expect(flag.withLock { $0 })
        #expect(SystemClock.monotonicNanoseconds() < deadline)
    }

    @Test("Locked and ThreadLock exclude each other across threads")
    func lockedCounts() {
        let counter = Locked(0)
        let lock = ThreadLock()
        nonisolated(unsafe) var plain = 0
        let finished = Locked(0)
        let done = ThreadCondition()
        let gate = ThreadCondition()
        let open = Locked(false)
        for _ in 0..<4 {
            SystemThread {
                // All four start together, so that they really contend.
                let deadline = SystemClock.monotonicNanoseconds() + 10_000_000_000
                gate.lock()
                while !open.withLock({ $0 }), gate.wait(untilNanoseconds: deadline) {}
                gate.unlock()
                for _ in 0..<100_000 {
                    counter.withLock { $0 += 1 }
                    lock.withLock { plain += 1 }
                }
                finished.withLock { $0 += 1 }
                done.withLock { done.broadcast() }
            }.start()
        }
        SystemClock.sleep(nanoseconds: 20_000_000)
        gate.withLock {
            open.withLock { $0 = true }
            gate.broadcast()
        }
        let deadline = SystemClock.monotonicNanoseconds() + 30_000_000_000
        done.lock()
        while finished.withLock({ $0 }) < 4, done.wait(untilNanoseconds: deadline) {}
        done.unlock()
        #expect(counter.withLock { $0 } == 400_000)
        #expect(lock.withLock { plain } == 400_000)
    }

    @Test("the clock: monotonic nanoseconds advance over a sleep; Unix milliseconds agree with Date")
    func clock() {
        let before = SystemClock.monotonicNanoseconds()
        SystemClock.sleep(nanoseconds: 20_000_000)
        #expect(SystemClock.monotonicNanoseconds() - before >= 20_000_000)
        let wall = Double(SystemClock.nowMilliseconds) / 1000
        #expect(abs(wall - Date().timeIntervalSince1970) < 1)
        #expect(Duration.milliseconds(1500).clampedNanoseconds == 1_500_000_000)
        #expect(Duration.seconds(-1).clampedNanoseconds == 0)
    }
}
