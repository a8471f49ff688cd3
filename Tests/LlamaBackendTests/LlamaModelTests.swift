import Foundation
import LlamaBackend
import Testing

/// Model-backed tests run one at a time: each engine uses every core.
@Suite(.serialized) struct LlamaBackendTests {
  // MARK: Loading and metadata

  @Test func loadsModelAndReportsMetadata() throws {
    let model = try Fixture.model()
    #expect(model.info.architecture == "gemma3")
    #expect(model.info.vocabularySize == 262_144)
    #expect(model.info.layerCount == 18)
    #expect(model.info.parameterCount > 200_000_000 && model.info.parameterCount < 300_000_000)
    #expect(model.info.description.contains("270M"))
    #expect(model.info.trainingContextLength == 32_768)
    #expect(model.backendDescription.hasPrefix("llama.cpp 0.6."))
    if LlamaRuntime.supportsGPUOffload {
      #expect(model.gpuLayers > 0 && model.device.kind == .gpu)
    } else {
      #expect(model.gpuLayers == 0 && model.device.kind == .cpu)
      #expect(model.backendDescription.contains("CPU"))
    }
    #expect(LlamaRuntime.devices.contains { $0.kind == .cpu })
    #expect(LlamaRuntime.systemInfo.contains("CPU"))
  }

  @Test func libraryVersionMatchesExpected() throws {
    try LlamaRuntime.checkVersion()
    #expect(LlamaRuntime.libraryVersion.hasPrefix(LlamaRuntime.expectedVersionPrefix))
    #expect(LlamaRuntime.isSupported(version: "0.6.0-dev"))
    #expect(LlamaRuntime.isSupported(version: "0.6.4"))
    #expect(!LlamaRuntime.isSupported(version: "0.7.0"))
    #expect(!LlamaRuntime.isSupported(version: "0.16.0"))
    #expect(!LlamaRuntime.isSupported(version: "b4500"))
    let error = LlamaBackendError.libraryVersionMismatch(
      found: "0.9.1", expected: LlamaRuntime.expectedVersion)
    #expect(error.description.contains("0.9.1") && error.description.contains("make bootstrap"))
  }

  // MARK: Tokens

  @Test(arguments: [
    "Hello, world!", "  leading spaces and\ttabs\nnewlines", "Grüße aus Köln — naïve café",
    "東京は日本の首都です。", "Llamas 🦙 and coders 👩‍💻 🇫🇷", "𓀀𓀁 rare glyphs ∮ ⅋",
  ])
  func tokenizeRoundTrips(text: String) throws {
    let model = try Fixture.model()
    let tokens = try model.tokenize(text, addSpecial: false, parseSpecial: false)
    #expect(!tokens.isEmpty)
    #expect(model.detokenize(tokens) == text)
    // Byte-wise concatenation of pieces is the text, even when single pieces are partial UTF-8.
    let bytes = tokens.flatMap { model.piece($0) }
    #expect(bytes == Array(text.utf8))
  }

  @Test func multiByteCharactersSplitAcrossTokensAreBuffered() throws {
    let model = try Fixture.model()
    let text = "𓀀𓀁𓀂"
    let tokens = try model.tokenize(text, addSpecial: false, parseSpecial: false)
    let pieces = tokens.map { model.piece($0) }
    // At least one piece is not valid UTF-8 on its own (byte-fallback tokens)...
    #expect(pieces.contains { String(validating: $0, as: UTF8.self) == nil })
    // ...yet detokenizing the sequence gives the characters back whole.
    #expect(model.detokenize(tokens) == text)
  }

  @Test func addSpecialPrependsBOS() throws {
    let model = try Fixture.model()
    let plain = try model.tokenize("Hi", addSpecial: false)
    let withBOS = try model.tokenize("Hi", addSpecial: true)
    #expect(withBOS.count == plain.count + 1)
    #expect(Array(withBOS.dropFirst()) == plain)
  }

  @Test func tokenCounterIsExact() throws {
    let model = try Fixture.model()
    let counter = ModelTokenCounter(model: model)
    for text in ["Hello world", "Grüße 東京 🦙", String(repeating: "token ", count: 50)] {
      let expected = try model.tokenize(text, addSpecial: false, parseSpecial: false).count
      #expect(counter.countTokens(in: text) == expected)
    }
    #expect(counter.countTokens(in: "") == 0)
    #expect(counter.countTokens(in: "Hello world") == 2)
    // Special-token text counts as plain text, not as one control token.
    #expect(counter.countTokens(in: "<start_of_turn>") > 1)
  }

  // MARK: Chat templates

  @Test func modelWithoutTemplateFailsInsteadOfFallingBack() throws {
    let model = try Fixture.model()
    #expect(model.info.hasChatTemplate == false)
    #expect(throws: LlamaBackendError.missingChatTemplate(path: model.path)) {
      try model.applyChatTemplate([.user("hi")])
    }
  }

  @Test func explicitTemplateOverrideIsUsedAndReported() throws {
    let model = try Fixture.model()
    let rendered = try model.applyChatTemplate([.user("Hello there")], template: "gemma")
    #expect(rendered.template == .override("gemma"))
    #expect(rendered.text == "<start_of_turn>user\nHello there<end_of_turn>\n<start_of_turn>model\n")
    #expect(LlamaModel.builtinChatTemplates.contains("gemma"))
    #expect(throws: LlamaBackendError.unsupportedChatTemplate(template: "no-such-template")) {
      try model.applyChatTemplate([.user("x")], template: "no-such-template")
    }
  }

  // MARK: Errors at load

  @Test func missingFileIsReported() {
    #expect(throws: LlamaBackendError.fileNotFound(path: "/nonexistent/model.gguf")) {
      try LlamaModel(path: "/nonexistent/model.gguf")
    }
  }

  @Test func nonGGUFFileIsRejectedBeforeLlamaSeesIt() throws {
    let path = try Fixture.temporaryFile(Array("{\"not\": \"a model\"}".utf8), suffix: ".json")
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
      _ = try LlamaModel(path: path)
      Issue.record("expected notGGUF")
    } catch {
      guard case .notGGUF(let p, let found) = error else {
        Issue.record("wrong error \(error)")
        return
      }
      #expect(p == path)
      #expect(found.contains("{\"not"))
    }
  }

  @Test func truncatedGGUFIsReported() throws {
    let whole = try Data(contentsOf: URL(fileURLWithPath: Fixture.modelPath), options: .alwaysMapped)
    for size in [6, 200, 4_000_000, whole.count - 1000] {
      let path = try Fixture.temporaryFile(Array(whole.prefix(size)))
      defer { try? FileManager.default.removeItem(atPath: path) }
      do {
        _ = try LlamaModel(path: path)
        Issue.record("expected corruptGGUF for \(size) bytes")
      } catch {
        guard case .corruptGGUF(let p, let reason) = error else {
          Issue.record("wrong error for \(size) bytes: \(error)")
          continue
        }
        #expect(p == path)
        #expect(!reason.isEmpty)
      }
    }
  }

  /// A layer count llama.cpp would abort on (an assertion, not an error) is refused first.
  @Test func anImpossibleLayerCountIsReportedNotAborted() throws {
    let whole = Array(try Data(contentsOf: URL(fileURLWithPath: Fixture.modelPath), options: .alwaysMapped))
    let key = Array("gemma3.block_count".utf8)
    let at = try #require(
      (0..<(whole.count - key.count)).first { Array(whole[$0..<($0 + key.count)]) == key })
    for layers: UInt32 in [0, 1000] {
      var bytes = whole
      let value = at + key.count + 4  // after the key and its type
      withUnsafeBytes(of: layers.littleEndian) { for (k, b) in $0.enumerated() { bytes[value + k] = b } }
      let path = try Fixture.temporaryFile(bytes)
      defer { try? FileManager.default.removeItem(atPath: path) }
      do {
        _ = try LlamaModel(path: path)
        Issue.record("expected corruptGGUF for \(layers) layers")
      } catch {
        guard case .corruptGGUF(_, let reason) = error else {
          Issue.record("wrong error: \(error)")
          continue
        }
        #expect(reason.contains("gemma3.block_count is \(layers)"), "\(reason)")
      }
    }
  }

  @Test func corruptHeaderIsReported() throws {
    var bytes = Fixture.minimalGGUF(architecture: "gemma3")
    bytes[4] = 99  // version 99
    let path = try Fixture.temporaryFile(bytes)
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(
      throws: LlamaBackendError.corruptGGUF(
        path: path, reason: "unsupported GGUF version 99 (expected 2 or 3)")
    ) {
      try LlamaModel(path: path)
    }
  }

  @Test func unknownArchitectureIsReported() throws {
    let path = try Fixture.temporaryFile(Fixture.minimalGGUF(architecture: "fieldeval-test-arch"))
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(
      throws: LlamaBackendError.unsupportedArchitecture(path: path, architecture: "fieldeval-test-arch")
    ) {
      try LlamaModel(path: path)
    }
  }

  @Test func invalidConfigurationIsRejected() throws {
    let model = try Fixture.model()
    #expect(throws: LlamaBackendError.self) {
      try LlamaEngine(model: model, configuration: .init(slots: 0))
    }
    #expect(throws: LlamaBackendError.self) {
      try LlamaEngine(model: model, configuration: .init(contextSize: 4))
    }
    // Sizes that overflow the C types are refused, not trapped on.
    for configuration in [
      LlamaEngine.Configuration(contextSize: Int.max / 2, slots: 4), .init(batchSize: 1 << 33),
      .init(threads: 3_000_000_000),
    ] {
      #expect(throws: LlamaBackendError.self) { try LlamaEngine(model: model, configuration: configuration) }
    }
  }
}
