import CLlama
import Foundation
import Synchronization

/// In-process llama.cpp generation and judging with continuous batching.
///
/// One engine owns one llama.cpp context with ``Configuration/slots`` sequences that decode
/// together; requests from any number of tasks are queued and batched. The decode loop runs on
/// a dedicated thread, never on Swift's cooperative pool. Shared prompt prefixes (a judge's
/// rubric, a common system prompt) are processed once and reused.
///
/// ```swift
/// let engine = try LlamaEngine(modelPath: path, configuration: .init(slots: 4))
/// let result = try await engine.generate(GenerationRequest(input: .prompt("Hello"), maxNewTokens: 16))
/// ```
public final class LlamaEngine: GenerationBackend, JudgeBackend, Sendable {
  /// Engine settings; the defaults suit a small model on a CPU.
  public struct Configuration: Sendable, Hashable {
    /// Tokens available to each request (prompt + generated). The KV cache holds this many
    /// tokens for every slot and every cached prefix.
    public var contextSize: Int
    /// Sequences decoded together.
    public var slots: Int
    /// Most tokens per `llama_decode` call (`n_batch`).
    public var batchSize: Int
    /// Physical batch size (`n_ubatch`).
    public var microBatchSize: Int
    /// CPU threads; `nil` uses every available core. ggml's OpenMP workers spin while they
    /// wait, so on a machine shared with other busy processes fewer threads can be faster.
    public var threads: Int?
    /// Chat template for ``GenerationInput/chat(_:)`` inputs: a built-in name (`gemma`,
    /// `chatml`, `llama3`, ...) or template text. `nil` uses the model's own template and fails
    /// if it has none.
    public var chatTemplate: String?
    /// Process shared prefixes once and reuse them.
    public var prefixCaching: Bool
    /// How many distinct prefixes stay cached.
    public var cachedPrefixes: Int
    /// Shortest shared prefix, in tokens, worth caching.
    public var minimumCachedPrefixTokens: Int
    /// One KV pool shared by all sequences (`kv_unified`): a cached prefix is stored once.
    /// With `false` (the default) each sequence has its own KV stream and a cached prefix is
    /// copied into each slot (a memory copy, no recomputation); attention then sees the same
    /// cache layout whatever else runs, which keeps greedy outputs independent of batching.
    public var unifiedKVCache: Bool
    /// Flash attention: `true`, `false`, or `nil` to let llama.cpp decide. Off by default:
    /// on the CPU its reduction order depends on the other sequences' lengths, so outputs
    /// could change with batch composition.
    public var flashAttention: Bool?

    /// Creates a configuration. The defaults favour reproducibility: greedy outputs do not
    /// depend on prefix caching, and depend on which requests are batched together only where
    /// ggml's matrix products over several tokens, summed in another order than over one, break
    /// a near-tie between two tokens the other way (rare; `slots: 1` rules it out). For
    /// throughput, see ``throughput``.
    public init(
      contextSize: Int = 2048, slots: Int = 4, batchSize: Int = 512, microBatchSize: Int = 512,
      threads: Int? = nil, chatTemplate: String? = nil, prefixCaching: Bool = true, cachedPrefixes: Int = 1,
      minimumCachedPrefixTokens: Int = 32, unifiedKVCache: Bool = false, flashAttention: Bool? = false
    ) {
      self.contextSize = contextSize
      self.slots = slots
      self.batchSize = batchSize
      self.microBatchSize = microBatchSize
      self.threads = threads
      self.chatTemplate = chatTemplate
      self.prefixCaching = prefixCaching
      self.cachedPrefixes = cachedPrefixes
      self.minimumCachedPrefixTokens = minimumCachedPrefixTokens
      self.unifiedKVCache = unifiedKVCache
      self.flashAttention = flashAttention
    }

    /// llama-server's choices: unified KV cache, flash attention decided by llama.cpp.
    /// Faster and leaner with many slots; greedy outputs may differ in rare near-ties
    /// depending on batch composition.
    public static func throughput(contextSize: Int = 2048, slots: Int = 4) -> Configuration {
      Configuration(contextSize: contextSize, slots: slots, unifiedKVCache: true, flashAttention: nil)
    }
  }

  /// The model.
  public let model: LlamaModel
  /// The settings in use.
  public let configuration: Configuration
  /// Tokens one request may use (prompt + generated).
  public let contextSize: Int
  /// Which backend and device run the model.
  public var backendDescription: String { model.backendDescription }

  let queue = EngineQueue()

  /// Loads the model at `modelPath` and creates an engine for it.
  public convenience init(
    modelPath: String, loadOptions: LlamaModel.LoadOptions = LlamaModel.LoadOptions(),
    configuration: Configuration = Configuration()
  ) throws(LlamaBackendError) {
    try self.init(model: LlamaModel(path: modelPath, options: loadOptions), configuration: configuration)
  }

  /// Creates an engine (a context and its decode thread) for a loaded model.
  public init(model: LlamaModel, configuration: Configuration = Configuration()) throws(LlamaBackendError) {
    let c = configuration
    let cacheSeqs = c.prefixCaching ? max(1, c.cachedPrefixes) : 0
    guard c.slots >= 1, c.slots + cacheSeqs <= Int(llama_max_parallel_sequences()) else {
      throw .invalidConfiguration(
        field: "slots", reason: "need 1 ≤ slots + cachedPrefixes ≤ \(llama_max_parallel_sequences())")
    }
    // Checked without overflow: a huge contextSize must be refused, not trap.
    let (cells, overflow) = c.contextSize.multipliedReportingOverflow(by: c.slots + cacheSeqs)
    guard c.contextSize >= 16, !overflow, cells <= 1 << 22 else {
      throw .invalidConfiguration(
        field: "contextSize", reason: "need 16 ≤ contextSize × (slots + cachedPrefixes) ≤ 4194304")
    }
    guard c.batchSize >= 1, c.microBatchSize >= 1, c.batchSize <= 1 << 22, c.microBatchSize <= 1 << 22 else {
      throw .invalidConfiguration(field: "batchSize", reason: "batch sizes must be from 1 to 4194304")
    }
    guard c.threads.map({ (1...4096).contains($0) }) ?? true else {
      throw .invalidConfiguration(field: "threads", reason: "need 1 to 4096 threads")
    }
    var params = llama_context_default_params()
    let sequences = c.slots + cacheSeqs
    params.n_ctx = UInt32(c.contextSize * sequences)
    params.n_batch = UInt32(c.batchSize)
    params.n_ubatch = UInt32(min(c.batchSize, c.microBatchSize))
    params.n_seq_max = UInt32(sequences)
    let threads = Int32(c.threads ?? ProcessInfo.processInfo.activeProcessorCount)
    params.n_threads = threads
    params.n_threads_batch = threads
    params.kv_unified = c.unifiedKVCache
    params.no_perf = true
    if let flash = c.flashAttention {
      params.flash_attn_type = flash ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED
    }
    let mark = LlamaRuntime.logMark()
    guard let context = llama_init_from_model(model.pointer, params) else {
      let lines = LlamaRuntime.recentLogLines(since: mark)
      throw .contextCreationFailed(
        contextSize: c.contextSize,
        reason: lines.suffix(2).joined(separator: "; ").nilIfEmpty ?? "llama_init_from_model returned NULL")
    }
    self.model = model
    self.configuration = c
    self.contextSize = min(c.contextSize, Int(llama_n_ctx_seq(context)))
    let loop = DecodeLoop(
      model: model, context: context, queue: queue, slots: c.slots, cacheEntries: cacheSeqs,
      prefixCaching: c.prefixCaching, minimumPrefix: max(1, c.minimumCachedPrefixTokens),
      unified: c.unifiedKVCache)
    let box = LoopBox(loop)
    let thread = Thread {
      box.loop?.run()
      box.loop = nil  // frees the context on this thread
    }
    thread.name = "LlamaEngine decode loop"
    thread.stackSize = 8 << 20
    thread.start()
  }

  deinit {
    for job in queue.stop() { job.resume(.failure(LlamaBackendError.engineStopped)) }
  }

  /// Stops the decode thread; queued and running requests fail with
  /// ``LlamaBackendError/engineStopped``. Called automatically when the engine is released.
  public func shutdown() {
    for job in queue.stop() { job.resume(.failure(LlamaBackendError.engineStopped)) }
  }

  // MARK: Prompts

  /// The prompt text for an input: raw text as is, chat messages through the chat template.
  public func render(_ input: GenerationInput) throws(LlamaBackendError) -> (
    text: String, template: LlamaModel.ChatTemplateSource?
  ) {
    switch input {
    case .prompt(let text): return (text, nil)
    case .chat(let messages):
      let rendered = try model.applyChatTemplate(messages, template: configuration.chatTemplate)
      return (rendered.text, rendered.template)
    }
  }

  // MARK: GenerationBackend

  /// Generates all requests, batched together; results come back in request order.
  ///
  /// When several requests share a long token prefix (at least
  /// ``Configuration/minimumCachedPrefixTokens``), it is processed once.
  public func generate(_ requests: [GenerationRequest]) async throws -> [GenerationResult] {
    var prompts: [[TokenID]] = []
    for request in requests {
      prompts.append(try model.tokenize(render(request.input).text, addSpecial: true, parseSpecial: true))
    }
    let shared = configuration.prefixCaching && prompts.count > 1 ? Self.commonPrefixLength(prompts) : 0
    var jobs: [EngineJob] = []
    for (request, tokens) in zip(requests, prompts) {
      jobs.append(
        try makeJob(
          id: request.id, tokens: tokens, sharedPrefix: min(shared, tokens.count - 1),
          maxNewTokens: request.maxNewTokens, stop: request.stop, sampling: request.sampling, grammar: nil))
    }
    return try await run(jobs)
  }

  // MARK: JudgeBackend

  /// Judges all requests, batched together. The tokens of ``JudgeRequest/sharedPrefix`` are
  /// processed once and shared by every request that starts with them; prompts are tokenized
  /// whole (prefix + item), so cached and uncached runs see the same tokens.
  public func judge(_ requests: [JudgeRequest]) async throws -> [GenerationResult] {
    var jobs: [EngineJob] = []
    var grammars: [OutputConstraint: String] = [:]
    for request in requests {
      let tokens = try model.tokenize(
        request.sharedPrefix + request.item, addSpecial: true, parseSpecial: true)
      var shared = 0
      if configuration.prefixCaching, !request.sharedPrefix.isEmpty {
        let prefix = try model.tokenize(request.sharedPrefix, addSpecial: true, parseSpecial: true)
        shared = min(Self.commonPrefixLength([prefix, tokens]), tokens.count - 1)
      }
      var grammar: String? = nil
      if let constraint = request.constraint {
        if let known = grammars[constraint] {
          grammar = known
        } else {
          switch constraint {
          case .grammar(let text): grammar = text
          case .jsonSchema(let schema): grammar = try JSONSchemaGrammar.gbnf(fromSchema: schema)
          }
          grammars[constraint] = grammar
        }
      }
      jobs.append(
        try makeJob(
          id: request.id, tokens: tokens, sharedPrefix: shared, maxNewTokens: request.maxNewTokens, stop: [],
          sampling: request.sampling, grammar: grammar))
    }
    return try await run(jobs)
  }

  // MARK: Internals

  static func commonPrefixLength(_ sequences: [[TokenID]]) -> Int {
    guard var length = sequences.first?.count else { return 0 }
    for s in sequences.dropFirst() {
      var k = 0
      let limit = min(length, s.count)
      while k < limit, s[k] == sequences[0][k] { k += 1 }
      length = k
    }
    return length
  }

  func makeJob(
    id: String, tokens: [TokenID], sharedPrefix: Int, maxNewTokens: Int, stop: [String],
    sampling: SamplingParameters, grammar: String?
  ) throws(LlamaBackendError) -> EngineJob {
    guard !tokens.isEmpty else { throw .tokenizationFailed(reason: "request '\(id)' has an empty prompt") }
    guard tokens.count < contextSize else {
      throw .promptTooLong(requestID: id, promptTokens: tokens.count, contextSize: contextSize)
    }
    guard maxNewTokens >= 1 else {
      throw .invalidConfiguration(field: "maxNewTokens", reason: "request '\(id)' needs maxNewTokens ≥ 1")
    }
    let budget = min(maxNewTokens, contextSize - tokens.count)
    let sampler = try SlotSampler(model: model, parameters: sampling, grammar: grammar)
    return EngineJob(
      id: id, tokens: tokens, sharedPrefixLength: max(0, sharedPrefix), maxNewTokens: budget, stop: stop,
      sampler: sampler)
  }

  /// Runs jobs; all jobs of one call are queued together, so they are admitted in the same
  /// iteration and batch composition does not depend on task scheduling.
  func run(_ jobs: [EngineJob]) async throws -> [GenerationResult] {
    let gate = SubmissionGate(jobs: jobs, queue: queue)
    return try await withThrowingTaskGroup(of: (Int, GenerationResult).self) { group in
      for (i, job) in jobs.enumerated() {
        group.addTask { (i, try await self.submit(job, gate: gate)) }
      }
      var results = [GenerationResult?](repeating: nil, count: jobs.count)
      for try await (i, result) in group { results[i] = result }
      return results.compactMap { $0 }
    }
  }

  func submit(_ job: EngineJob, gate: SubmissionGate) async throws -> GenerationResult {
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (continuation: CheckedContinuation<GenerationResult, any Error>) in
        job.continuation = continuation
        gate.ready()
      }
    } onCancel: {
      job.cancelled.store(true, ordering: .relaxed)
      queue.wake()
    }
  }
}

/// Queues a call's jobs in one go once every job's continuation is in place.
final class SubmissionGate: Sendable {
  let jobs: [EngineJob]
  let queue: EngineQueue
  let waiting: Mutex<Int>

  init(jobs: [EngineJob], queue: EngineQueue) {
    self.jobs = jobs
    self.queue = queue
    self.waiting = Mutex(jobs.count)
  }

  func ready() {
    let last = waiting.withLock { n in
      n -= 1
      return n == 0
    }
    guard last else { return }
    if !queue.submit(jobs) {
      for job in jobs { job.resume(.failure(LlamaBackendError.engineStopped)) }
    }
  }
}

/// Carries the decode loop onto its thread.
final class LoopBox: @unchecked Sendable {
  var loop: DecodeLoop?
  init(_ loop: DecodeLoop) { self.loop = loop }
}

extension String {
  var nilIfEmpty: String? { isEmpty ? nil : self }
}
