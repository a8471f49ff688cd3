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

  /// A file cut short anywhere is said to be truncated, with its size and the least its header
  /// needs: inside the metadata or the tensor table (where an array or an offset is more than
  /// the cut file could hold), or in the tensor data (the whole size the header describes).
  @Test func truncatedGGUFIsReported() throws {
    let whole = try Data(contentsOf: URL(fileURLWithPath: Fixture.modelPath), options: .alwaysMapped)
    // The test model's metadata and tensor table end before byte 6,600,000.
    for size in [6, 200, 200_000, 1_000_000, 4_000_000, 6_520_000, 6_600_000, 20_000_000, whole.count - 1000]
    {
      let path = try Fixture.temporaryFile(Array(whole.prefix(size)))
      defer { try? FileManager.default.removeItem(atPath: path) }
      do {
        _ = try LlamaModel(path: path)
        Issue.record("expected truncatedGGUF for \(size) bytes")
      } catch {
        guard case .truncatedGGUF(let p, let has, let needed, let inside) = error else {
          Issue.record("wrong error for \(size) bytes: \(error)")
          continue
        }
        #expect(p == path)
        #expect(has == size)
        #expect(needed > size, "\(size)")
        if size >= 6_600_000 {
          #expect(inside == nil && needed == whole.count, "\(size): \(error)")
        } else {
          #expect(inside != nil, "\(size): \(error)")
        }
        #expect(error.description.contains("is truncated: it has \(size) bytes"), "\(error)")
        #expect(!error.description.contains("implausible"), "\(error)")
      }
    }
  }

  /// Sizes on small files: a cut inside a string needs the string's end; a cut in the data, the
  /// whole file. A full-length file whose header does not hold together stays corrupt.
  @Test func truncatedAndCorruptGGUFAreToldApart() throws {
    func error(_ bytes: [UInt8]) throws -> LlamaBackendError? {
      let path = try Fixture.temporaryFile(bytes)
      defer { try? FileManager.default.removeItem(atPath: path) }
      do {
        _ = try LlamaModel(path: path)
        return nil
      } catch {
        return error
      }
    }
    func truncation(_ error: LlamaBackendError?) -> (size: Int, needed: Int, inside: String?)? {
      guard case .truncatedGGUF(_, let size, let needed, let inside)? = error else { return nil }
      return (size, needed, inside)
    }
    let full = Fixture.ggufWithTensors(offsets: [0, 32], dataBytes: 64)
    // Cut in the second tensor's data: the header describes the whole file.
    let data = truncation(try error(Array(full.dropLast(10))))
    #expect(
      data?.size == full.count - 10 && data?.needed == full.count && data?.inside == nil, "\(data as Any)")
    // Cut inside `gemma3` (the architecture's value, bytes 64 to 70).
    let header = truncation(try error(Array(full.prefix(67))))
    #expect(header?.size == 67 && header?.needed == 70, "\(header as Any)")
    #expect(header?.inside?.contains("general.architecture") == true, "\(header as Any)")
    // Full length, but the second tensor is placed past the end, not after the first.
    let misplaced = try error(Fixture.ggufWithTensors(offsets: [0, 4096], dataBytes: 64))
    guard case .corruptGGUF(_, let reason)? = misplaced else {
      Issue.record("expected corruptGGUF, got \(misplaced as Any)")
      return
    }
    #expect(reason.contains("tensor t1 ends at byte"), "\(reason)")
    // Full length, a length no file has.
    var huge = full
    for k in 24..<32 { huge[k] = 0xFF }  // the length of the first metadata key
    guard case .corruptGGUF(_, let hugeReason)? = try error(huge) else {
      Issue.record("expected corruptGGUF for an implausible length")
      return
    }
    #expect(hugeReason.contains("implausible"), "\(hugeReason)")
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
