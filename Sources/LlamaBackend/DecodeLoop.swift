import CLlama
import Dispatch
import Synchronization

/// The continuous-batching decode loop. Lives on its own thread and is the only user of the
/// llama.cpp context, batch and samplers.
///
/// Each iteration builds one batch: one token for every generating slot, then chunks of
/// pending prompts up to `n_batch`. Prefixes shared by several requests are decoded once into
/// a cache sequence and attached to slots with `llama_memory_seq_cp` (the KV cache is unified,
/// so the cells are shared, not copied).
final class DecodeLoop {
  struct Slot {
    let job: EngineJob
    let seq: llama_seq_id
    var position: Int
    var cachedTokens: Int
    var pendingToken: TokenID?
    var outputIndex: Int32 = -1
    var bytes: [UInt8] = []
    var completionTokens = 0
    let admitted: ContinuousClock.Instant
    var firstToken: ContinuousClock.Instant?
    let reservedCells: Int
    let cacheEntry: Int?
  }

  struct CacheEntry {
    let seq: llama_seq_id
    let tokens: [TokenID]
    var users = 0
    var lastUse: UInt64
  }

  let model: LlamaModel
  let context: OpaquePointer
  let memory: llama_memory_t
  let queue: EngineQueue
  let batchCapacity: Int
  let contextCells: Int
  let prefixCaching: Bool
  let minimumPrefix: Int
  /// Whether all sequences share one KV pool (else each has its own stream and budget).
  let unified: Bool
  var batch: llama_batch
  var candidates: UnsafeMutableBufferPointer<llama_token_data>
  var slots: [Slot?]
  var cache: [CacheEntry?]
  var clock: UInt64 = 0

  init(
    model: LlamaModel, context: OpaquePointer, queue: EngineQueue, slots: Int, cacheEntries: Int,
    prefixCaching: Bool, minimumPrefix: Int, unified: Bool
  ) {
    self.unified = unified
    self.model = model
    self.context = context
    self.memory = llama_get_memory(context)
    self.queue = queue
    self.batchCapacity = Int(llama_n_batch(context))
    self.contextCells = Int(llama_n_ctx(context))
    self.prefixCaching = prefixCaching
    self.minimumPrefix = minimumPrefix
    self.batch = llama_batch_init(Int32(batchCapacity), 0, 1)
    self.candidates = .allocate(capacity: Int(model.vocabSize))
    self.slots = Array(repeating: nil, count: slots)
    self.cache = (0..<cacheEntries).map { _ in nil }
  }

  deinit {
    llama_batch_free(batch)
    candidates.deallocate()
    llama_free(context)
  }

  // MARK: Loop

  func run() {
    while true {
      if queue.isStopped { break }
      admit()
      reapCancelled()
      if slots.allSatisfy({ $0 == nil }) {
        if queue.hasPending { continue }
        queue.wakeup.wait()
        continue
      }
      step()
    }
    for i in slots.indices where slots[i] != nil {
      finish(i, reason: .cancelled, error: LlamaBackendError.engineStopped)
    }
  }

  var reservedCells: Int {
    guard unified else { return 0 }
    return slots.reduce(0) { $0 + ($1?.reservedCells ?? 0) }
      + cache.reduce(0) { $0 + ($1?.tokens.count ?? 0) }
  }

  /// Moves queued jobs into free slots while the KV cache has room for them.
  func admit() {
    while let free = slots.firstIndex(where: { $0 == nil }) {
      guard let job = queue.take(limit: 1).first else { return }
      if job.cancelled.load(ordering: .relaxed) {
        job.resume(.success(result(for: job, text: "", reason: .cancelled, completion: 0, cached: 0)))
        continue
      }
      // Find or create a cached prefix.
      var entryIndex: Int? = nil
      var cached = 0
      if prefixCaching {
        entryIndex = lookup(job.tokens)
        if entryIndex == nil, job.sharedPrefixLength >= minimumPrefix {
          entryIndex = store(Array(job.tokens.prefix(job.sharedPrefixLength)))
        }
        if let e = entryIndex, let entry = cache[e] { cached = entry.tokens.count }
      }
      let need = unified ? job.tokens.count - cached + job.maxNewTokens : 0
      if need + reservedCells > contextCells {
        if slots.contains(where: { $0 != nil }) {
          queue.putBack([job])
          return
        }
        // Nothing else runs: drop unused cache entries and retry once without them.
        evictUnused(keeping: entryIndex)
        if need + reservedCells > contextCells {
          cached = 0
          entryIndex = nil
          evictUnused(keeping: nil)
        }
      }
      let seq = llama_seq_id(free)
      _ = llama_memory_seq_rm(memory, seq, -1, -1)
      if let e = entryIndex, let entry = cache[e] {
        llama_memory_seq_cp(memory, entry.seq, seq, -1, -1)
        cache[e]?.users += 1
        clock += 1
        cache[e]?.lastUse = clock
      }
      slots[free] = Slot(
        job: job, seq: seq, position: cached, cachedTokens: cached, pendingToken: nil,
        admitted: .now, reservedCells: job.tokens.count - cached + job.maxNewTokens, cacheEntry: entryIndex)
    }
  }

  /// The longest cached prefix that `tokens` starts with, leaving at least one token to decode.
  func lookup(_ tokens: [TokenID]) -> Int? {
    var best: Int? = nil
    var bestLength = 0
    for (i, entry) in cache.enumerated() {
      guard let entry, entry.tokens.count < tokens.count, entry.tokens.count > bestLength else { continue }
      if tokens.starts(with: entry.tokens) {
        best = i
        bestLength = entry.tokens.count
      }
    }
    return best
  }

  func evictUnused(keeping: Int?) {
    for i in cache.indices where i != keeping {
      if let entry = cache[i], entry.users == 0 {
        _ = llama_memory_seq_rm(memory, entry.seq, -1, -1)
        cache[i] = nil
      }
    }
  }

  /// Decodes `prefix` into a cache sequence; returns its entry index, or nil when it cannot.
  func store(_ prefix: [TokenID]) -> Int? {
    var index = cache.firstIndex(where: { $0 == nil })
    if index == nil {
      let idle = cache.indices.filter { cache[$0]?.users == 0 }
      index = idle.min(by: { (cache[$0]?.lastUse ?? 0) < (cache[$1]?.lastUse ?? 0) })
      if let i = index, let old = cache[i] {
        _ = llama_memory_seq_rm(memory, old.seq, -1, -1)
        cache[i] = nil
      }
    }
    guard let i = index, prefix.count + reservedCells <= contextCells else { return nil }
    let seq = llama_seq_id(slots.count + i)
    _ = llama_memory_seq_rm(memory, seq, -1, -1)
    var start = 0
    while start < prefix.count {
      let end = min(prefix.count, start + batchCapacity)
      batch.n_tokens = 0
      for p in start..<end { add(prefix[p], position: p, seq: seq, output: false) }
      let status = llama_decode(context, batch)
      if status != 0 {
        _ = llama_memory_seq_rm(memory, seq, -1, -1)
        return nil
      }
      start = end
    }
    clock += 1
    cache[i] = CacheEntry(seq: seq, tokens: prefix, users: 0, lastUse: clock)
    return i
  }

  func add(_ token: TokenID, position: Int, seq: llama_seq_id, output: Bool) {
    let i = Int(batch.n_tokens)
    precondition(i < batchCapacity, "batch overflow")
    batch.token[i] = token
    batch.pos[i] = llama_pos(position)
    batch.n_seq_id[i] = 1
    batch.seq_id[i]![0] = seq
    batch.logits[i] = output ? 1 : 0
    batch.n_tokens += 1
  }

  func reapCancelled() {
    for i in slots.indices {
      if let slot = slots[i], slot.job.cancelled.load(ordering: .relaxed) {
        finish(i, reason: .cancelled)
      }
    }
    // Queued ones too: waiting for a slot, a cancelled request would end only when one frees.
    for job in queue.takeCancelled() {
      job.resume(.success(result(for: job, text: "", reason: .cancelled, completion: 0, cached: 0)))
    }
  }

  /// One decode of a batch mixing generation tokens and prompt chunks, then sampling.
  func step() {
    batch.n_tokens = 0
    for i in slots.indices {
      guard var slot = slots[i] else { continue }
      slot.outputIndex = -1
      if let token = slot.pendingToken {
        slot.outputIndex = batch.n_tokens
        add(token, position: slot.position, seq: slot.seq, output: true)
        slot.position += 1
        slot.pendingToken = nil
      }
      slots[i] = slot
    }
    for i in slots.indices {
      guard var slot = slots[i], slot.outputIndex < 0, slot.firstToken == nil else { continue }
      let remaining = slot.job.tokens.count - slot.position
      let room = batchCapacity - Int(batch.n_tokens)
      guard remaining > 0, room > 0 else { continue }
      let take = min(remaining, room)
      for k in 0..<take {
        let p = slot.position + k
        let last = p == slot.job.tokens.count - 1
        if last { slot.outputIndex = batch.n_tokens }
        add(slot.job.tokens[p], position: p, seq: slot.seq, output: last)
      }
      slot.position += take
      slots[i] = slot
    }
    guard batch.n_tokens > 0 else { return }
    let status = llama_decode(context, batch)
    if status != 0 {
      for i in slots.indices where slots[i] != nil {
        finish(i, reason: .other, error: LlamaBackendError.decodeFailed(status: status))
      }
      return
    }
    for i in slots.indices {
      guard var slot = slots[i], slot.outputIndex >= 0 else { continue }
      guard
        let token = slot.job.sampler.sample(context: context, index: slot.outputIndex, candidates: candidates)
      else {
        slots[i] = slot
        let error: LlamaBackendError =
          slot.job.sampler.grammarDeadEnd
          ? .invalidGrammar(
            reason: "the grammar allows no token after \(slot.completionTokens) generated tokens")
          : .decodeFailed(status: -1)
        finish(i, reason: .other, error: error)
        continue
      }
      if slot.firstToken == nil { slot.firstToken = .now }
      let endOfGeneration = model.isEndOfGeneration(token)
      slot.job.sampler.accept(token, isEndOfGeneration: endOfGeneration)
      if endOfGeneration {
        slots[i] = slot
        finish(i, reason: .stop)
        continue
      }
      let before = slot.bytes.count
      slot.bytes += model.piece(token)
      slot.completionTokens += 1
      if let cut = Self.stopCut(slot.bytes, from: before, stops: slot.job.stop) {
        slot.bytes.removeSubrange(cut...)
        slots[i] = slot
        finish(i, reason: .stop)
        continue
      }
      if slot.completionTokens >= slot.job.maxNewTokens {
        slots[i] = slot
        finish(i, reason: .length)
        continue
      }
      slot.pendingToken = token
      slots[i] = slot
    }
  }

  /// The start of the first stop string that ends in the bytes appended after `from`.
  static func stopCut(_ bytes: [UInt8], from: Int, stops: [[UInt8]]) -> Int? {
    var best: Int? = nil
    for stop in stops where bytes.count >= stop.count {
      var start = max(0, from - stop.count + 1)
      while start + stop.count <= bytes.count {
        if bytes[start..<start + stop.count].elementsEqual(stop) {
          if best.map({ start < $0 }) ?? true { best = start }
          break
        }
        start += 1
      }
    }
    return best
  }

  func result(for job: EngineJob, text: String, reason: FinishReason, completion: Int, cached: Int)
    -> GenerationResult
  {
    GenerationResult(
      id: job.id, text: text, finishReason: reason, promptTokens: job.tokens.count,
      cachedPromptTokens: cached,
      completionTokens: completion,
      timings: GenerationTimings(queueSeconds: (ContinuousClock.now - job.enqueued).seconds))
  }

  func finish(_ index: Int, reason: FinishReason, error: (any Error)? = nil) {
    guard let slot = slots[index] else { return }
    slots[index] = nil
    _ = llama_memory_seq_rm(memory, slot.seq, -1, -1)
    if let e = slot.cacheEntry { cache[e]?.users -= 1 }
    if let error {
      slot.job.resume(.failure(error))
      return
    }
    let now = ContinuousClock.now
    let first = slot.firstToken ?? now
    let timings = GenerationTimings(
      queueSeconds: (slot.admitted - slot.job.enqueued).seconds,
      promptSeconds: (first - slot.admitted).seconds,
      generationSeconds: (now - first).seconds)
    slot.job.resume(
      .success(
        GenerationResult(
          id: slot.job.id, text: String(decoding: slot.bytes, as: UTF8.self), finishReason: reason,
          promptTokens: slot.job.tokens.count, cachedPromptTokens: slot.cachedTokens,
          completionTokens: slot.completionTokens, timings: timings)))
  }
}

extension Duration {
  var seconds: Double {
    let (s, atto) = components
    return Double(s) + Double(atto) / 1e18
  }
}
