import IronbridgeSystem
import Testing

@Suite("AsyncState: the one waiting primitive")
struct AsyncStateTests {
    /// Runs `body` in its own task and gives up after `seconds`: a wait that never returns fails
    /// the test instead of hanging the run (a task group would wait for the stuck child).
    private func within<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async -> T) async -> T? {
        let result = Locked<T?>(nil)
        let task = Task { let value = await body(); result.withLock { $0 = value } }
        for _ in 0..<Int(seconds * 100) {
            if let value = result.withLock({ $0 }) { return value }
            try? await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        return result.withLock { $0 }
    }

    @Test("a value that exists is returned at once; otherwise after the update that makes it exist")
    func waitsForTheValue() async {
        let state = AsyncState(0)
        #expect(await state.wait(for: { $0 == 0 ? "zero" : nil }) == "zero")
        let waiter = Task { await state.wait(for: { $0 >= 3 ? $0 : nil }) }
        for n in 1...5 {
            try? await Task.sleep(for: .milliseconds(5))
            state.withLock { $0 = n }
        }
        let value = await within(5) { await waiter.value }
        let reached: Int = (value ?? nil) ?? -1
        #expect(reached >= 3, "the waiter was not resumed by the update")
    }

    @Test("an update from a plain thread resumes every waiter whose value exists, and only those")
    func manyWaiters() async {
        let state = AsyncState(0)
        let low = (0..<20).map { _ in Task { await state.wait(until: { $0 >= 1 }) } }
        let high = Task { await state.wait(until: { $0 >= 100 }) }
        try? await Task.sleep(for: .milliseconds(20))
        let thread = SystemThread { state.withLock { $0 = 1 } }
        thread.start()
        for task in low { #expect(await within(5) { await task.value } == true, "a waiter was not resumed") }
        high.cancel()
        #expect(await high.value == false)
    }

    @Test("a task cancelled before it waits gets nil at once (the cancellation guard)")
    func cancelledBeforeWaiting() async {
        let state = AsyncState(false)
        let result = await within(5) {
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await state.wait(for: { $0 ? 1 : nil })
            }
            return await task.value
        }
        #expect(result == .some(nil), "a wait that began cancelled did not return")
    }

    @Test("a task cancelled while it waits gets nil; the state is left as it was")
    func cancelledWhileWaiting() async {
        let state = AsyncState(false)
        let task = Task { await state.wait(for: { $0 ? 1 : nil }) }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        let result = await within(5) { await task.value }
        #expect(result == .some(nil))
        state.withLock { $0 = true }
        #expect(await state.wait(for: { $0 ? 2 : nil }) == 2)
    }

    @Test("waitEvenIfCancelled waits for the condition through a cancellation")
    func waitEvenIfCancelled() async {
        let state = AsyncState(false)
        let task = Task {
            await state.waitEvenIfCancelled(until: { $0 })
            return state.withLock { $0 }
        }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        try? await Task.sleep(for: .milliseconds(50))
        state.withLock { $0 = true }
        #expect(await within(5) { await task.value } == true)
    }
}
