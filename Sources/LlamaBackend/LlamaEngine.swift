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
    /// KV cache size in tokens, shared by all slots and cached prefixes (rounded up to 256).
    public var contextSize: Int
    /// Sequences decoded together.
    public var slots: Int
    /// Most tokens per `llama_decode` call (`n_batch`).
    public var batchSize: Int
    /// Physical batch size (`n_ubatch`).
    public var microBatchSize: Int
    /// CPU threads; `nil` uses every available core.
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

    /// Creates a configuration.
    public init(
      contextSize: Int = 4096, slots: Int = 4, batchSize: Int = 512, microBatchSize: Int = 512,
      threads: Int? = nil, chatTemplate: String? = nil, prefixCaching: Bool = true, cachedPrefixes: Int = 2,
      minimumCachedPrefixTokens: Int = 32
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
    }
  }

  /// The model.
  public let model: LlamaModel
  /// The settings in use.
  public let configuration: Configuration
  /// The context size llama.cpp actually allocated.
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
    guard c.contextSize >= 16, c.contextSize <= 1 << 20 else {
      throw .invalidConfiguration(field: "contextSize", reason: "need 16 ≤ contextSize ≤ 1048576")
    }
    guard c.batchSize >= 1, c.microBatchSize >= 1 else {
      throw .invalidConfiguration(field: "batchSize", reason: "batch sizes must be positive")
    }
    guard c.threads.map({ $0 >= 1 }) ?? true else {
      throw .invalidConfiguration(field: "threads", reason: "need at least one thread")
    }
    var params = llama_context_default_params()
    params.n_ctx = UInt32(c.contextSize)
    params.n_batch = UInt32(c.batchSize)
    params.n_ubatch = UInt32(min(c.batchSize, c.microBatchSize))
    params.n_seq_max = UInt32(c.slots + cacheSeqs)
    let threads = Int32(c.threads ?? ProcessInfo.processInfo.activeProcessorCount)
    params.n_threads = threads
    params.n_threads_batch = threads
    params.kv_unified = true
    params.no_perf = true
    let mark = LlamaRuntime.logMark()
    guard let context = llama_init_from_model(model.pointer, params) else {
      let lines = LlamaRuntime.recentLogLines(since: mark)
      throw .contextCreationFailed(
        contextSize: c.contextSize, reason: lines.suffix(2).joined(separator: "; ").nilIfEmpty ?? "llama_init_from_model returned NULL")
    }
    self.model = model
    self.configuration = c
    self.contextSize = Int(llama_n_ctx(context))
    let loop = DecodeLoop(
      model: model, context: context, queue: queue, slots: c.slots, cacheEntries: cacheSeqs,
      prefixCaching: c.prefixCaching, minimumPrefix: max(1, c.minimumCachedPrefixTokens))
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
  public func render(_ input: GenerationInput) throws(LlamaBackendError) -> (text: String, template: LlamaModel.ChatTemplateSource?) {
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
      let tokens = try model.tokenize(request.sharedPrefix + request.item, addSpecial: true, parseSpecial: true)
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

  func run(_ jobs: [EngineJob]) async throws -> [GenerationResult] {
    try await withThrowingTaskGroup(of: (Int, GenerationResult).self) { group in
      for (i, job) in jobs.enumerated() {
        group.addTask { (i, try await self.submit(job)) }
      }
      var results = [GenerationResult?](repeating: nil, count: jobs.count)
      for try await (i, result) in group { results[i] = result }
      return results.compactMap { $0 }
    }
  }

  func submit(_ job: EngineJob) async throws -> GenerationResult {
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<GenerationResult, any Error>) in
        job.continuation = continuation
        if !queue.submit(job) { job.resume(.failure(LlamaBackendError.engineStopped)) }
      }
    } onCancel: {
      job.cancelled.store(true, ordering: .relaxed)
      queue.wake()
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
