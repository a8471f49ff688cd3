import Dispatch
import Synchronization

/// One queued request, shared between the caller's task and the engine thread.
final class EngineJob: @unchecked Sendable {
  let id: String
  let tokens: [TokenID]
  /// `tokens[0..<sharedPrefixLength]` may come from (or be stored into) the prefix cache.
  let sharedPrefixLength: Int
  let maxNewTokens: Int
  let stop: [[UInt8]]
  /// Owned by the engine thread once the job is submitted.
  let sampler: SlotSampler
  let enqueued = ContinuousClock.now
  let cancelled = Atomic<Bool>(false)
  /// Set before submission, resumed exactly once by the engine thread.
  var continuation: CheckedContinuation<GenerationResult, any Error>?

  init(
    id: String, tokens: [TokenID], sharedPrefixLength: Int, maxNewTokens: Int, stop: [String],
    sampler: SlotSampler
  ) {
    self.id = id
    self.tokens = tokens
    self.sharedPrefixLength = sharedPrefixLength
    self.maxNewTokens = maxNewTokens
    self.stop = stop.filter { !$0.isEmpty }.map { Array($0.utf8) }
    self.sampler = sampler
  }

  func resume(_ result: Result<GenerationResult, any Error>) {
    let c = continuation
    continuation = nil
    c?.resume(with: result)
  }
}

/// The hand-off between async callers and the engine thread: a locked FIFO plus a semaphore
/// that wakes the thread.
final class EngineQueue: Sendable {
  struct State: ~Copyable {
    var pending: [EngineJob] = []
    var stopped = false
  }
  let state = Mutex(State())
  let wakeup = DispatchSemaphore(value: 0)

  /// Queues jobs together; returns false when the engine is already stopped.
  func submit(_ jobs: [EngineJob]) -> Bool {
    let accepted = state.withLock { s in
      if s.stopped { return false }
      s.pending.append(contentsOf: jobs)
      return true
    }
    if accepted { wakeup.signal() }
    return accepted
  }

  /// Takes up to `limit` queued jobs (all when nil).
  func take(limit: Int) -> [EngineJob] {
    state.withLock { s in
      let n = min(limit, s.pending.count)
      let taken = Array(s.pending.prefix(n))
      s.pending.removeFirst(n)
      return taken
    }
  }

  /// Puts jobs back at the front (they could not be admitted yet).
  func putBack(_ jobs: [EngineJob]) {
    state.withLock { s in s.pending.insert(contentsOf: jobs, at: 0) }
  }

  /// Takes the queued jobs whose callers cancelled them (they end without waiting for a slot).
  func takeCancelled() -> [EngineJob] {
    state.withLock { s in
      guard s.pending.contains(where: { $0.cancelled.load(ordering: .relaxed) }) else { return [] }
      let cancelled = s.pending.filter { $0.cancelled.load(ordering: .relaxed) }
      s.pending.removeAll { $0.cancelled.load(ordering: .relaxed) }
      return cancelled
    }
  }

  var isStopped: Bool { state.withLock { $0.stopped } }
  var hasPending: Bool { state.withLock { !$0.pending.isEmpty } }

  func wake() { wakeup.signal() }

  /// Stops the engine; returns the jobs still queued.
  func stop() -> [EngineJob] {
    let left = state.withLock { s in
      s.stopped = true
      let jobs = s.pending
      s.pending = []
      return jobs
    }
    wakeup.signal()
    return left
  }
}
