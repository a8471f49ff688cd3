// The two seams between FieldEval and a language model: the model under test
// (``GenerationBackend``) and the judge (``JudgeBackend``). Gates, probes and scanners depend
// only on these; `LlamaBackend` provides the in-process llama.cpp implementation.

/// One chat message, rendered into a prompt by the backend's chat template.
public struct ChatMessage: Sendable, Hashable, Codable {
  /// The speaker: `system`, `user` or `assistant` (templates may know others).
  public var role: String
  /// The message text.
  public var content: String

  /// Creates a message.
  public init(role: String, content: String) {
    self.role = role
    self.content = content
  }

  /// A `system` message.
  public static func system(_ content: String) -> ChatMessage {
    ChatMessage(role: "system", content: content)
  }
  /// A `user` message.
  public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
  /// An `assistant` message.
  public static func assistant(_ content: String) -> ChatMessage {
    ChatMessage(role: "assistant", content: content)
  }
}

/// What the model is asked: raw prompt text, or chat messages the backend renders with the
/// model's chat template (ending with the assistant turn's opening).
public enum GenerationInput: Sendable, Hashable {
  /// Text passed to the tokenizer as is (special-token text such as `<start_of_turn>` is parsed).
  case prompt(String)
  /// Messages rendered with the chat template.
  case chat([ChatMessage])
}

/// How the next token is chosen. The default is greedy decoding (deterministic).
public struct SamplingParameters: Sendable, Hashable, Codable {
  /// Softmax temperature; `0` or below means greedy (always the most likely token).
  public var temperature: Double
  /// Keep only the `topK` most likely tokens; `0` disables.
  public var topK: Int
  /// Nucleus sampling: keep the smallest set with cumulative probability `topP`; `1` disables.
  public var topP: Double
  /// Drop tokens less likely than `minP` × the most likely one; `0` disables.
  public var minP: Double
  /// Penalty on tokens seen in the last ``repetitionWindow`` generated tokens; `1` disables.
  public var repetitionPenalty: Double
  /// How many recent tokens the repetition penalty looks at.
  public var repetitionWindow: Int
  /// Random seed for non-greedy sampling; `nil` picks a random one.
  public var seed: UInt32?

  /// Creates sampling parameters; the defaults decode greedily.
  public init(
    temperature: Double = 0, topK: Int = 0, topP: Double = 1, minP: Double = 0,
    repetitionPenalty: Double = 1, repetitionWindow: Int = 64, seed: UInt32? = nil
  ) {
    self.temperature = temperature
    self.topK = topK
    self.topP = topP
    self.minP = minP
    self.repetitionPenalty = repetitionPenalty
    self.repetitionWindow = repetitionWindow
    self.seed = seed
  }

  /// Greedy decoding.
  public static let greedy = SamplingParameters()

  /// Whether these parameters select the most likely token every time.
  public var isGreedy: Bool { temperature <= 0 }
}

/// One generation request for the model under test.
public struct GenerationRequest: Sendable, Hashable {
  /// Caller's identifier, echoed in the result.
  public var id: String
  /// The prompt or chat.
  public var input: GenerationInput
  /// Sampling parameters.
  public var sampling: SamplingParameters
  /// Generation stops before the first occurrence of any of these strings (not included).
  public var stop: [String]
  /// Token budget; generation ends with ``FinishReason/length`` when it runs out.
  public var maxNewTokens: Int

  /// Creates a request.
  public init(
    id: String = "", input: GenerationInput, sampling: SamplingParameters = .greedy,
    stop: [String] = [], maxNewTokens: Int = 256
  ) {
    self.id = id
    self.input = input
    self.sampling = sampling
    self.stop = stop
    self.maxNewTokens = maxNewTokens
  }
}

/// Wall-clock timings of one request, in seconds.
public struct GenerationTimings: Sendable, Hashable, Codable {
  /// Waiting for a free slot.
  public var queueSeconds: Double
  /// Prompt processing, from admission to the first sampled token (time to first token).
  public var promptSeconds: Double
  /// From the first sampled token to the end.
  public var generationSeconds: Double

  /// Creates timings.
  public init(queueSeconds: Double = 0, promptSeconds: Double = 0, generationSeconds: Double = 0) {
    self.queueSeconds = queueSeconds
    self.promptSeconds = promptSeconds
    self.generationSeconds = generationSeconds
  }

  /// Queue + prompt + generation.
  public var totalSeconds: Double { queueSeconds + promptSeconds + generationSeconds }
}

/// The outcome of one generation or judge request.
public struct GenerationResult: Sendable, Hashable {
  /// The request's ``GenerationRequest/id``.
  public var id: String
  /// The generated text (stop string excluded).
  public var text: String
  /// Why generation stopped.
  public var finishReason: FinishReason
  /// Tokens in the prompt, cached ones included.
  public var promptTokens: Int
  /// Prompt tokens that were reused from a cached prefix instead of being processed.
  public var cachedPromptTokens: Int
  /// Tokens generated (a final end-of-generation token is not counted).
  public var completionTokens: Int
  /// Timings.
  public var timings: GenerationTimings

  /// Creates a result.
  public init(
    id: String, text: String, finishReason: FinishReason, promptTokens: Int,
    cachedPromptTokens: Int = 0, completionTokens: Int, timings: GenerationTimings = GenerationTimings()
  ) {
    self.id = id
    self.text = text
    self.finishReason = finishReason
    self.promptTokens = promptTokens
    self.cachedPromptTokens = cachedPromptTokens
    self.completionTokens = completionTokens
    self.timings = timings
  }

  /// Decode rate: tokens after the first, per second of ``GenerationTimings/generationSeconds``
  /// (the first token comes out of prompt processing, so it is timed in `promptSeconds`).
  /// 0 when fewer than two tokens were generated.
  public var tokensPerSecond: Double {
    timings.generationSeconds > 0 && completionTokens > 1
      ? Double(completionTokens - 1) / timings.generationSeconds : 0
  }
}

/// A backend that runs the model under test.
///
/// Implementations must be safe to call from many tasks at once, and should batch the
/// requests of one call (and of concurrent calls) together. A conformance looks like:
///
/// ```swift
/// struct Echo: GenerationBackend {
///   var backendDescription: String { "echo" }
///   func generate(_ requests: [GenerationRequest]) async throws -> [GenerationResult] {
///     requests.map { GenerationResult(id: $0.id, text: "", finishReason: .stop,
///                                     promptTokens: 0, completionTokens: 0) }
///   }
/// }
/// ```
public protocol GenerationBackend: Sendable {
  /// Which backend and device run the model, for reports (e.g. `llama.cpp 0.6.0 CPU`).
  var backendDescription: String { get }
  /// Generates one result per request, in request order.
  func generate(_ requests: [GenerationRequest]) async throws -> [GenerationResult]
}

extension GenerationBackend {
  /// Generates the result of a single request.
  public func generate(_ request: GenerationRequest) async throws -> GenerationResult {
    let results = try await generate([request])
    guard let first = results.first else {
      return GenerationResult(
        id: request.id, text: "", finishReason: .other, promptTokens: 0, completionTokens: 0)
    }
    return first
  }
}

/// A restriction on what a judge may output.
public enum OutputConstraint: Sendable, Hashable {
  /// The output must be JSON matching this JSON Schema (given as JSON text).
  case jsonSchema(String)
  /// The output must match this GBNF grammar (start symbol `root`).
  case grammar(String)
}

/// One judge call: a shared prefix (rubric, instructions), the item to judge, and an
/// optional constraint on the verdict.
public struct JudgeRequest: Sendable, Hashable {
  /// Caller's identifier, echoed in the result.
  public var id: String
  /// Text shared by many requests (e.g. the rubric). Backends may process it once and reuse it.
  public var sharedPrefix: String
  /// Text specific to this request, appended to ``sharedPrefix``.
  public var item: String
  /// Constraint on the output, if any.
  public var constraint: OutputConstraint?
  /// Token budget for the verdict.
  public var maxNewTokens: Int
  /// Sampling parameters (greedy by default, so verdicts are reproducible).
  public var sampling: SamplingParameters

  /// Creates a judge request.
  public init(
    id: String = "", sharedPrefix: String, item: String, constraint: OutputConstraint? = nil,
    maxNewTokens: Int = 64, sampling: SamplingParameters = .greedy
  ) {
    self.id = id
    self.sharedPrefix = sharedPrefix
    self.item = item
    self.constraint = constraint
    self.maxNewTokens = maxNewTokens
    self.sampling = sampling
  }
}

/// A backend that runs the judge model.
///
/// Results carry the verdict text and token counts; ``GenerationResult/cachedPromptTokens``
/// tells how much of the shared prefix was reused.
public protocol JudgeBackend: Sendable {
  /// Which backend and device run the judge, for reports.
  var backendDescription: String { get }
  /// Judges every request, returning results in request order.
  func judge(_ requests: [JudgeRequest]) async throws -> [GenerationResult]
}
