import ArgumentParser
import Foundation
import LlamaBackend

/// `fieldeval generate`: runs one prompt through a GGUF model in process (llama.cpp).
struct GenerateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Generate text from a GGUF model in process (llama.cpp), greedy by default.",
    discussion: """
      Prints the generated text, or with --format json an object with text, backend, \
      prompt_tokens, completion_tokens, tokens_per_second, finish_reason and chat_template. \
      With --chat the prompt is sent as one user message through the model's chat template \
      (or --chat-template NAME); a model without a template is an error, never a silent \
      fallback. Exit status: 0 success, 2 usage errors or an unusable model file.
      """
  )

  enum Format: String, ExpressibleByArgument, CaseIterable {
    case text, json
  }

  @Option(help: "The GGUF model file.")
  var model: String

  @Option(help: "The prompt text.")
  var prompt: String

  // The numeric options take their value whatever it looks like, so `--max-tokens -5` is told
  // the range, not that the value is missing.
  @Option(
    name: .customLong("max-tokens"), parsing: .unconditional, help: "Most tokens to generate.",
    transform: number("--max-tokens"))
  var maxTokens: Int = 128

  @Option(help: "Output format: text or json.")
  var format: Format = .text

  @Flag(help: "Render the prompt as a user message with the chat template.")
  var chat = false

  @Option(
    name: .customLong("chat-template"),
    help: "Chat template override: a llama.cpp built-in name (gemma, chatml, llama3, ...).")
  var chatTemplate: String?

  @Option(
    parsing: .unconditional, help: "Sampling temperature (0 or below = greedy).",
    transform: number("--temperature"))
  var temperature: Double = 0

  // An `Int`, so that a value outside `UInt32` is told the range too.
  @Option(
    parsing: .unconditional,
    help: "Random seed for temperature > 0 (0 to 4294967294; the same seed gives the same text).",
    transform: number("--seed"))
  var seed: Int?

  @Option(
    name: .customLong("context-size"), parsing: .unconditional, help: "Context size in tokens.",
    transform: number("--context-size"))
  var contextSize: Int = 4096

  @Option(parsing: .unconditional, help: "CPU threads (default: all cores).", transform: number("--threads"))
  var threads: Int?

  /// Reads a numeric option's value, taken whatever it looks like: another option in its place
  /// (`--max-tokens --chat`) is a missing value, and the message says so.
  static func number<T: LosslessStringConvertible>(_ option: String) -> @Sendable (String) throws -> T {
    { argument in
      if argument.hasPrefix("--") {
        throw ValidationError(
          "missing a number: \(option) is followed by the option '\(argument)'; put a number after \(option)")
      }
      guard let value = T(argument) else { throw ValidationError("'\(argument)' is not a number") }
      return value
    }
  }

  func validate() throws {
    guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
    guard contextSize >= 16 else { throw ValidationError("--context-size must be at least 16") }
    if let threads, !(1...4096).contains(threads) {
      throw ValidationError("--threads must be from 1 to 4096")
    }
    // llama.cpp reads 4294967295 as "pick one at random", which would not reproduce.
    if let seed, !(0..<Int(UInt32.max)).contains(seed) {
      throw ValidationError("--seed must be from 0 to 4294967294 (4294967295 is llama.cpp's 'random seed')")
    }
    if chatTemplate != nil && !chat {
      throw ValidationError("--chat-template applies to --chat: add --chat, or leave the template out")
    }
  }

  func run() async throws {
    do {
      let engine = try LlamaEngine(
        modelPath: model,
        configuration: LlamaEngine.Configuration(
          contextSize: contextSize, slots: 1, threads: threads, chatTemplate: chatTemplate,
          prefixCaching: false))
      defer { engine.shutdown() }
      let input: GenerationInput = chat ? .chat([.user(prompt)]) : .prompt(prompt)
      let template = try engine.render(input).template
      let request = GenerationRequest(
        id: "cli", input: input,
        sampling: SamplingParameters(temperature: temperature, seed: seed.map { UInt32($0) }),
        maxNewTokens: maxTokens)
      let result = try await engine.generate(request)
      switch format {
      case .text:
        try StandardOutput.write(result.text + "\n")
      case .json:
        let report = Report(
          text: result.text, backend: engine.backendDescription, promptTokens: result.promptTokens,
          completionTokens: result.completionTokens, tokensPerSecond: result.tokensPerSecond,
          finishReason: result.finishReason.rawValue, chatTemplate: template?.description,
          promptSeconds: result.timings.promptSeconds, generationSeconds: result.timings.generationSeconds)
        let data = try JSONOutput.encoder().encode(report)
        try StandardOutput.write(data + [0x0A])
      }
    } catch let error as LlamaBackendError {
      // The library's advice names its API; the command's names its options.
      switch error {
      case .missingChatTemplate, .unsupportedChatTemplate:
        throw CLIError("\(error) With fieldeval: pass --chat-template NAME (gemma, chatml, llama3, …).")
      case .promptTooLong:
        throw CLIError(
          error.description.replacingOccurrences(
            of: "LlamaEngine.Configuration.contextSize", with: "--context-size"))
      default:
        throw CLIError(error.description)
      }
    }
  }

  struct Report: Encodable {
    var text: String
    var backend: String
    var promptTokens: Int
    var completionTokens: Int
    var tokensPerSecond: Double
    var finishReason: String
    var chatTemplate: String?
    var promptSeconds: Double
    var generationSeconds: Double

    enum CodingKeys: String, CodingKey {
      case text, backend
      case promptTokens = "prompt_tokens"
      case completionTokens = "completion_tokens"
      case tokensPerSecond = "tokens_per_second"
      case finishReason = "finish_reason"
      case chatTemplate = "chat_template"
      case promptSeconds = "prompt_seconds"
      case generationSeconds = "generation_seconds"
    }
  }
}
