import CLlama
import Foundation

/// A llama.cpp token id.
public typealias TokenID = Int32

/// A loaded GGUF model: weights, vocabulary, chat template. Immutable and thread-safe;
/// tokenization may be called from any thread.
///
/// ```swift
/// let model = try LlamaModel(path: "gemma-3-270m-q4_k_m.gguf")
/// let tokens = try model.tokenize("Hello")
/// ```
public final class LlamaModel: @unchecked Sendable {
  /// Options for loading.
  public struct LoadOptions: Sendable, Hashable {
    /// Layers to offload to a GPU: `nil` = all when a GPU is usable, none otherwise.
    public var gpuLayers: Int?
    /// Check the libllama version at load (see ``LlamaRuntime/expectedVersion``).
    public var checkLibraryVersion: Bool
    /// Let ggml repack weights into CPU-specific layouts (`use_extra_bufts`, llama.cpp's
    /// default): faster prompt processing, but matrix products then take different code paths
    /// for one and for several tokens, so greedy outputs can differ between a request run
    /// alone and batched, or with and without prefix caching. Off by default for reproducible
    /// evaluations; turn it on for throughput.
    public var weightRepacking: Bool

    /// Creates load options.
    public init(gpuLayers: Int? = nil, checkLibraryVersion: Bool = true, weightRepacking: Bool = false) {
      self.gpuLayers = gpuLayers
      self.checkLibraryVersion = checkLibraryVersion
      self.weightRepacking = weightRepacking
    }
  }

  /// Facts about the loaded model.
  public struct Info: Sendable, Hashable, Codable {
    /// `general.architecture` (e.g. `gemma3`).
    public var architecture: String
    /// `general.name`, when present.
    public var name: String?
    /// llama.cpp's one-line description (type, size, quantisation).
    public var description: String
    /// Number of parameters.
    public var parameterCount: UInt64
    /// Size of the weights in bytes.
    public var sizeBytes: UInt64
    /// Context length the model was trained with.
    public var trainingContextLength: Int
    /// Number of transformer layers.
    public var layerCount: Int
    /// Vocabulary size.
    public var vocabularySize: Int
    /// Whether the file carries a chat template (`tokenizer.chat_template`).
    public var hasChatTemplate: Bool
  }

  /// Path the model was loaded from.
  public let path: String
  /// Model facts.
  public let info: Info
  /// Layers placed on a GPU (0 on CPU-only machines).
  public let gpuLayers: Int
  /// The device that runs the model's layers.
  public let device: ComputeDevice

  let pointer: OpaquePointer
  let vocab: OpaquePointer
  let vocabSize: Int32

  /// Loads a GGUF model, after validating the file (existence, magic bytes, header,
  /// metadata, tensor ranges) and the libllama version.
  public init(path: String, options: LoadOptions = LoadOptions()) throws(LlamaBackendError) {
    LlamaRuntime.ensureInitialized()
    if options.checkLibraryVersion { try LlamaRuntime.checkVersion() }
    let summary = try GGUFFile.inspect(path: path)
    var params = llama_model_default_params()
    let gpu = LlamaRuntime.supportsGPUOffload
    let requested = options.gpuLayers ?? (gpu ? -1 : 0)
    params.n_gpu_layers = Int32(clamping: gpu ? requested : 0)
    params.use_extra_bufts = options.weightRepacking
    let mark = LlamaRuntime.logMark()
    guard let model = llama_model_load_from_file(path, params) else {
      let lines = LlamaRuntime.recentLogLines(since: mark)
      if lines.contains(where: { $0.contains("unknown model architecture") }) {
        throw .unsupportedArchitecture(path: path, architecture: summary.architecture)
      }
      let reason = lines.suffix(3).joined(separator: "; ")
      throw .modelLoadFailed(
        path: path, reason: reason.isEmpty ? "see llama.cpp log (FIELDEVAL_LLAMA_LOG=1)" : reason)
    }
    guard let vocab = llama_model_get_vocab(model) else {
      llama_model_free(model)
      throw .modelLoadFailed(path: path, reason: "model has no vocabulary")
    }
    self.path = path
    self.pointer = model
    self.vocab = vocab
    self.vocabSize = llama_vocab_n_tokens(vocab)
    var buffer = [CChar](repeating: 0, count: 256)
    let n = llama_model_desc(model, &buffer, buffer.count)
    let desc =
      n > 0 ? String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    let layers = Int(llama_model_n_layer(model))
    self.info = Info(
      architecture: summary.architecture, name: summary.name, description: desc,
      parameterCount: llama_model_n_params(model), sizeBytes: llama_model_size(model),
      trainingContextLength: Int(llama_model_n_ctx_train(model)), layerCount: layers,
      vocabularySize: Int(vocabSize), hasChatTemplate: llama_model_chat_template(model, nil) != nil)
    let offloaded = params.n_gpu_layers < 0 ? layers : min(layers, Int(params.n_gpu_layers))
    self.gpuLayers = offloaded
    let devices = LlamaRuntime.devices
    let chosen =
      offloaded > 0 ? devices.first(where: { $0.kind == .gpu }) : devices.first(where: { $0.kind == .cpu })
    self.device =
      chosen
      ?? ComputeDevice(name: "CPU", description: "CPU", kind: .cpu, totalMemoryBytes: 0, freeMemoryBytes: 0)
  }

  deinit {
    llama_model_free(pointer)
  }

  /// Which backend and device run the model, e.g. `llama.cpp 0.6.0 CPU (AMD EPYC 7B13)`.
  public var backendDescription: String {
    let placement =
      gpuLayers > 0
      ? "\(device.name) (\(device.description), \(gpuLayers)/\(info.layerCount) layers)"
      : "CPU (\(device.description))"
    return "llama.cpp \(LlamaRuntime.libraryVersion) \(placement)"
  }

  // MARK: Tokens

  /// Tokenizes `text`.
  ///
  /// - Parameters:
  ///   - addSpecial: add BOS (and EOS) when the model's vocabulary asks for it; use `true` for
  ///     the start of a prompt and `false` for continuations.
  ///   - parseSpecial: treat special-token text such as `<start_of_turn>` as the special token.
  public func tokenize(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true)
    throws(LlamaBackendError)
    -> [TokenID]
  {
    let utf8 = Array(text.utf8)
    guard utf8.count < Int(Int32.max) / 2 else {
      throw .tokenizationFailed(reason: "text of \(utf8.count) bytes is too large")
    }
    var capacity = utf8.count + 2
    while true {
      var tokens = [TokenID](repeating: 0, count: capacity)
      let n = utf8.withUnsafeBufferPointer { bytes in
        bytes.withMemoryRebound(to: CChar.self) { chars in
          llama_tokenize(
            vocab, chars.baseAddress, Int32(chars.count), &tokens, Int32(capacity), addSpecial, parseSpecial)
        }
      }
      if n >= 0 { return Array(tokens.prefix(Int(n))) }
      if n == Int32.min { throw .tokenizationFailed(reason: "token count overflows Int32") }
      capacity = Int(-n)
    }
  }

  /// The raw bytes of one token's text. A multi-byte UTF-8 character may be split across
  /// tokens, so concatenate pieces as bytes and decode once (``detokenize(_:renderSpecial:)``
  /// does that).
  public func piece(_ token: TokenID, renderSpecial: Bool = false) -> [UInt8] {
    guard token >= 0, token < vocabSize else { return [] }
    var buffer = [CChar](repeating: 0, count: 32)
    var n = llama_token_to_piece(vocab, token, &buffer, Int32(buffer.count), 0, renderSpecial)
    if n < 0 {
      buffer = [CChar](repeating: 0, count: Int(-n))
      n = llama_token_to_piece(vocab, token, &buffer, Int32(buffer.count), 0, renderSpecial)
    }
    return n > 0 ? buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) } : []
  }

  /// Converts tokens back to text, decoding UTF-8 over the concatenated bytes so characters
  /// split across tokens come out whole. Invalid sequences become U+FFFD.
  public func detokenize(_ tokens: [TokenID], renderSpecial: Bool = false) -> String {
    var bytes: [UInt8] = []
    for token in tokens { bytes += piece(token, renderSpecial: renderSpecial) }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Whether `token` ends generation (EOS, end-of-turn, ...).
  public func isEndOfGeneration(_ token: TokenID) -> Bool {
    token >= 0 && token < vocabSize && llama_vocab_is_eog(vocab, token)
  }

  // MARK: Chat templates

  /// Which chat template rendered a prompt.
  public enum ChatTemplateSource: Sendable, Hashable, CustomStringConvertible {
    /// The template embedded in the GGUF file (`tokenizer.chat_template`).
    case model
    /// A template given explicitly (a built-in name such as `gemma`, or template text).
    case override(String)

    /// A short label for reports, e.g. `override 'gemma'`.
    public var description: String {
      switch self {
      case .model: return "model (tokenizer.chat_template)"
      case .override(let name): return "override '\(name.count > 40 ? String(name.prefix(40)) + "…" : name)'"
      }
    }
  }

  /// A chat rendered into prompt text.
  public struct RenderedChat: Sendable, Hashable {
    /// The prompt text (tokenize it with `parseSpecial: true`).
    public var text: String
    /// The template used.
    public var template: ChatTemplateSource
  }

  /// The names of llama.cpp's built-in chat templates (`chatml`, `gemma`, `llama3`, ...).
  public static var builtinChatTemplates: [String] {
    let n = llama_chat_builtin_templates(nil, 0)
    guard n > 0 else { return [] }
    var names = [UnsafePointer<CChar>?](repeating: nil, count: Int(n))
    _ = llama_chat_builtin_templates(&names, names.count)
    return names.compactMap { $0.map { String(cString: $0) } }
  }

  /// Renders `messages` with the model's chat template, or with `template` when given.
  ///
  /// Never falls back silently: a model without a template and no override throws
  /// ``LlamaBackendError/missingChatTemplate(path:)``.
  public func applyChatTemplate(
    _ messages: [ChatMessage], template: String? = nil, addAssistantTurn: Bool = true
  ) throws(LlamaBackendError) -> RenderedChat {
    let source: ChatTemplateSource
    let templateText: String
    if let template {
      source = .override(template)
      templateText = template
    } else if let embedded = llama_model_chat_template(pointer, nil) {
      source = .model
      templateText = String(cString: embedded)
    } else {
      throw .missingChatTemplate(path: path)
    }
    // Keep the C strings alive for the duration of the call.
    let roles = messages.map { strdup($0.role) }
    let contents = messages.map { strdup($0.content) }
    defer {
      for pointer in roles { free(pointer) }
      for pointer in contents { free(pointer) }
    }
    var chat = (0..<messages.count).map { llama_chat_message(role: roles[$0], content: contents[$0]) }
    var total = 0
    for message in messages { total += message.content.utf8.count + message.role.utf8.count }
    var capacity = total * 2 + 256
    while true {
      var buffer = [CChar](repeating: 0, count: capacity)
      let n = llama_chat_apply_template(
        templateText, &chat, chat.count, addAssistantTurn, &buffer, Int32(capacity))
      if n < 0 { throw .unsupportedChatTemplate(template: templateText) }
      if Int(n) <= capacity {
        let text = String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return RenderedChat(text: text, template: source)
      }
      capacity = Int(n)
    }
  }
}
