import Foundation
import LlamaBackend
import Testing

extension LlamaBackendTests {
  static let prompts = [
    "The capital of France is", "List three colors: red,", "def fibonacci(n):",
    "Once upon a time, in a small village,",
  ]

  @Test func greedyGenerationIsDeterministic() async throws {
    let engine = try Fixture.engine(slots: 1, contextSize: 512)
    let request = GenerationRequest(id: "a", input: .prompt("The capital of France is"), maxNewTokens: 12)
    let first = try await engine.generate(request)
    let second = try await engine.generate(request)
    #expect(first.text == second.text)
    #expect(first.completionTokens == 12 && first.finishReason == .length)
    #expect(!first.text.isEmpty)
    #expect(first.promptTokens == 6)  // BOS + 5 tokens
    #expect(first.timings.promptSeconds > 0 && first.timings.generationSeconds > 0)
    #expect(first.tokensPerSecond > 0)
  }

  @Test func batchedOutputEqualsSequentialOutput() async throws {
    let engine = try Fixture.engine(slots: 4, contextSize: 1024, prefixCaching: false)
    let requests = Self.prompts.enumerated().map {
      GenerationRequest(id: "r\($0.offset)", input: .prompt($0.element), maxNewTokens: 10)
    }
    let batched = try await engine.generate(requests)
    #expect(batched.map(\.id) == requests.map(\.id))
    for request in requests {
      let alone = try await engine.generate(request)
      let together = try #require(batched.first { $0.id == request.id })
      #expect(alone.text == together.text, "request \(request.id)")
      #expect(alone.completionTokens == together.completionTokens)
    }
    // Different prompts give different continuations (the slots do not leak into each other).
    #expect(Set(batched.map(\.text)).count == requests.count)
  }

  @Test func concurrentCallersShareTheEngine() async throws {
    let engine = try Fixture.engine(slots: 2, contextSize: 1024, prefixCaching: false)
    let expected = try await engine.generate(
      GenerationRequest(id: "x", input: .prompt(Self.prompts[2]), maxNewTokens: 8))
    let texts = try await withThrowingTaskGroup(of: String.self) { group in
      for _ in 0..<3 {
        group.addTask {
          try await engine.generate(GenerationRequest(input: .prompt(Self.prompts[2]), maxNewTokens: 8)).text
        }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(texts == Array(repeating: expected.text, count: 3))
  }

  @Test func stopStringsEndGenerationAndAreExcluded() async throws {
    let engine = try Fixture.engine(slots: 1, contextSize: 512)
    let free = try await engine.generate(
      GenerationRequest(input: .prompt("List three colors: red,"), maxNewTokens: 12))
    let comma = try #require(
      free.text.firstIndex(of: ","), "greedy output \(free.text.debugDescription) has a comma")
    let stopped = try await engine.generate(
      GenerationRequest(input: .prompt("List three colors: red,"), stop: [","], maxNewTokens: 12))
    #expect(stopped.finishReason == .stop)
    #expect(stopped.text == String(free.text[..<comma]))
    #expect(stopped.completionTokens < 12)
  }

  @Test func seededSamplingIsReproducible() async throws {
    let engine = try Fixture.engine(slots: 2, contextSize: 512)
    func run(_ seed: UInt32) async throws -> String {
      try await engine.generate(
        GenerationRequest(
          input: .prompt("Once upon a time"),
          sampling: SamplingParameters(
            temperature: 1.2, topK: 50, topP: 0.95, minP: 0.02, repetitionPenalty: 1.1, seed: seed),
          maxNewTokens: 12)
      ).text
    }
    let a = try await run(7)
    let b = try await run(7)
    #expect(a == b)
    var others: Set<String> = []
    for seed in [1, 2, 3] as [UInt32] { others.insert(try await run(seed)) }
    others.insert(a)
    #expect(others.count > 1, "different seeds should not all give the same text")
  }

  @Test func chatInputUsesTheConfiguredTemplate() async throws {
    let engine = try Fixture.engine(slots: 1, contextSize: 512, chatTemplate: "gemma")
    let rendered = try engine.render(.chat([.user("Say hi")]))
    #expect(rendered.template == .override("gemma"))
    let result = try await engine.generate(
      GenerationRequest(input: .chat([.user("Say hi")]), maxNewTokens: 6))
    let expectedTokens = try engine.model.tokenize(rendered.text).count
    #expect(result.promptTokens == expectedTokens)
    let noTemplate = try Fixture.engine(slots: 1, contextSize: 512)
    await #expect(throws: LlamaBackendError.self) {
      try await noTemplate.generate(GenerationRequest(input: .chat([.user("x")]), maxNewTokens: 2))
    }
  }

  @Test func promptLongerThanContextIsRejected() async throws {
    let engine = try Fixture.engine(slots: 1, contextSize: 256)
    let long = String(repeating: "word ", count: 400)
    let tokens = try engine.model.tokenize(long).count
    await #expect(
      throws: LlamaBackendError.promptTooLong(requestID: "big", promptTokens: tokens, contextSize: 256)
    ) {
      try await engine.generate(GenerationRequest(id: "big", input: .prompt(long), maxNewTokens: 4))
    }
    // The budget is clipped to the room left in the context.
    let nearlyFull = String(repeating: "word ", count: 250)
    let result = try await engine.generate(GenerationRequest(input: .prompt(nearlyFull), maxNewTokens: 100))
    #expect(result.promptTokens + result.completionTokens <= 256)
  }

  @Test func cancellationFinishesWithCancelled() async throws {
    let engine = try Fixture.engine(slots: 1, contextSize: 1024)
    let task = Task {
      try await engine.generate(GenerationRequest(input: .prompt("Once upon a time"), maxNewTokens: 400))
    }
    try await Task.sleep(for: .milliseconds(400))
    task.cancel()
    let result = try await task.value
    #expect(result.finishReason == .cancelled)
    #expect(result.completionTokens < 400)
  }

  /// A request waiting for the one slot ends as soon as it is cancelled, not when the running
  /// one finishes.
  @Test func aQueuedRequestEndsWhenCancelled() async throws {
    let engine = try Fixture.engine(slots: 1, contextSize: 1024)
    let running = Task {
      try await engine.generate(GenerationRequest(input: .prompt("Once upon a time"), maxNewTokens: 300))
    }
    try await Task.sleep(for: .milliseconds(300))
    let queued = Task {
      try await engine.generate(GenerationRequest(input: .prompt("The sky is"), maxNewTokens: 8))
    }
    try await Task.sleep(for: .milliseconds(200))
    queued.cancel()
    let result = try await queued.value
    #expect(result.finishReason == .cancelled && result.completionTokens == 0)
    // The long request was still running then: cancelled now, it ends cancelled.
    running.cancel()
    let first = try await running.value
    #expect(first.finishReason == .cancelled, "the long request had finished first")
  }

  // MARK: Judge: grammar and prefix cache

  static let verdictSchema = """
    {"type": "object",
     "properties": {
       "score": {"type": "integer", "minimum": 1, "maximum": 5},
       "verdict": {"enum": ["pass", "fail"]},
       "reason": {"type": "string", "maxLength": 30}
     },
     "required": ["score", "verdict", "reason"]}
    """

  static let rubric = """
    You are a strict grader. Read the answer below and grade it against the rubric.
    Rubric: 5 = correct and complete; 4 = correct with minor omissions; 3 = partly correct; \
    2 = mostly wrong; 1 = wrong or off topic. Penalise answers that contradict themselves, \
    invent facts, or ignore the question. Reply with JSON only.

    """

  static let items = [
    "Question: What is 2 + 2?\nAnswer: 4\nGrade:", "Question: Capital of Italy?\nAnswer: Paris\nGrade:",
    "Question: Boiling point of water at sea level?\nAnswer: 100 degrees Celsius\nGrade:",
  ]

  @Test func grammarConstrainedVerdictsParseAndMatchTheSchema() async throws {
    let engine = try Fixture.engine(slots: 3, contextSize: 2048)
    let requests = Self.items.enumerated().map {
      JudgeRequest(
        id: "j\($0.offset)", sharedPrefix: Self.rubric, item: $0.element,
        constraint: .jsonSchema(Self.verdictSchema),
        maxNewTokens: 64)
    }
    let results = try await engine.judge(requests)
    #expect(results.count == 3)
    for result in results {
      #expect(result.finishReason == .stop, "\(result.id): \(result.text)")
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(result.text.utf8)) as? [String: Any], "\(result.text)")
      #expect(Set(object.keys) == ["score", "verdict", "reason"])
      let score = try #require(object["score"] as? Int)
      #expect((1...5).contains(score))
      #expect(["pass", "fail"].contains(object["verdict"] as? String ?? ""))
      let reason = try #require(object["reason"] as? String)
      #expect(reason.count <= 30)
    }
  }

  @Test func customGrammarIsEnforcedAndBadGrammarRejected() async throws {
    let engine = try Fixture.engine(slots: 1, contextSize: 1024)
    let grammar = #"root ::= "Score: " [1-5] "/5""#
    let result = try await engine.judge([
      JudgeRequest(
        sharedPrefix: Self.rubric, item: Self.items[0], constraint: .grammar(grammar), maxNewTokens: 16)
    ])[0]
    #expect(result.text.wholeMatch(of: /Score: [1-5]\/5/) != nil, "\(result.text)")
    #expect(result.finishReason == .stop)
    await #expect(throws: LlamaBackendError.self) {
      try await engine.judge([
        JudgeRequest(sharedPrefix: "", item: "x", constraint: .grammar("root ::= ( unclosed"))
      ])
    }
  }

  @Test func prefixCachedOutputEqualsUncachedOutput() async throws {
    let requests = Self.items.enumerated().map {
      JudgeRequest(id: "j\($0.offset)", sharedPrefix: Self.rubric, item: $0.element, maxNewTokens: 12)
    }
    let cachedEngine = try Fixture.engine(slots: 3, contextSize: 2048, prefixCaching: true)
    let cached = try await cachedEngine.judge(requests)
    let again = try await cachedEngine.judge(requests)  // reuses the stored prefix
    let plainEngine = try Fixture.engine(slots: 3, contextSize: 2048, prefixCaching: false)
    let plain = try await plainEngine.judge(requests)
    let prefixTokens = try cachedEngine.model.tokenize(Self.rubric).count
    for (c, p) in zip(cached, plain) {
      #expect(c.text == p.text, "\(c.id)")
      #expect(c.promptTokens == p.promptTokens)
      #expect(c.cachedPromptTokens >= prefixTokens - 1 && c.cachedPromptTokens > 50)
      #expect(p.cachedPromptTokens == 0)
    }
    #expect(again.map(\.text) == cached.map(\.text))
    #expect(again.allSatisfy { $0.cachedPromptTokens > 50 })
  }

  @Test func sharedPrefixOfGenerationRequestsIsCached() async throws {
    let system = String(repeating: "You are a careful assistant who answers briefly. ", count: 4)
    let requests = Self.prompts.map { GenerationRequest(input: .prompt(system + $0), maxNewTokens: 6) }
    let cached = try await Fixture.engine(slots: 4, contextSize: 2048).generate(requests)
    let plain = try await Fixture.engine(slots: 4, contextSize: 2048, prefixCaching: false).generate(requests)
    #expect(cached.map(\.text) == plain.map(\.text))
    #expect(cached.allSatisfy { $0.cachedPromptTokens >= 30 })
  }

  // MARK: JSON Schema → GBNF

  static func schemaError(_ schema: String) -> LlamaBackendError? {
    do {
      _ = try JSONSchemaGrammar.gbnf(fromSchema: schema)
      return nil
    } catch {
      return error
    }
  }

  @Test func schemaConverterProducesExpectedRules() throws {
    let grammar = try JSONSchemaGrammar.gbnf(fromSchema: Self.verdictSchema)
    #expect(grammar.contains(#"root ::= "{" ws "\"score\"" ws ":" ws score ","#))
    #expect(grammar.contains(#"score ::= ("1" | "2" | "3" | "4" | "5")"#))
    #expect(grammar.contains(#"verdict ::= ("\"pass\"" | "\"fail\"")"#))
    #expect(grammar.contains(#"reason ::= "\"" char{0,30} "\"""#))
    let arrays = try JSONSchemaGrammar.gbnf(
      fromSchema:
        #"{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string"},"maxItems":3},"ok":{"type":"boolean"},"x":{"type":"number"}},"required":["ok"]}"#
    )
    #expect(arrays.contains("boolean ::="))
    #expect(arrays.contains(#"("," ws "\"tags\"" ws ":" ws tags)?"#))
    #expect(arrays.contains(#"tags ::= "[" ws (tags-item ("," ws tags-item){0,2})? ws "]""#))
    #expect(
      throws: LlamaBackendError.invalidJSONSchema(path: ".score.type", reason: "unsupported type 'date'")
    ) {
      try JSONSchemaGrammar.gbnf(fromSchema: #"{"type":"object","properties":{"score":{"type":"date"}}}"#)
    }
    #expect(throws: LlamaBackendError.self) { try JSONSchemaGrammar.gbnf(fromSchema: "{not json") }
    // Keywords the grammar cannot enforce are refused, never silently dropped.
    for (schema, path) in [
      (#"{"type":"object","properties":{"code":{"type":"string","pattern":"^[A-Z]+$"}}}"#, ".code.pattern"),
      (#"{"anyOf":[{"type":"string"},{"type":"null"}]}"#, ".anyOf"),
      (##"{"type":"object","properties":{"r":{"$ref":"#/defs/r"}}}"##, ".r.$ref"),
    ] {
      guard case .invalidJSONSchema(let p, let reason) = Self.schemaError(schema) else {
        Issue.record("not refused as unsupported: \(schema)")
        continue
      }
      #expect(p == path && reason.contains("unsupported keyword"), "\(p): \(reason)")
    }
    // Annotations are fine.
    _ = try JSONSchemaGrammar.gbnf(
      fromSchema:
        #"{"type":"object","title":"Verdict","properties":{"ok":{"type":"boolean","description":"d"}}}"#)
  }
}

extension LlamaBackendTests {
  @Test func moreRequestsThanSlotsAreQueuedAndAllFinish() async throws {
    let engine = try Fixture.engine(slots: 2, contextSize: 256, prefixCaching: false)
    let requests = (0..<6).map {
      GenerationRequest(
        id: "q\($0)", input: .prompt(Self.prompts[$0 % Self.prompts.count] + " \($0)"), maxNewTokens: 5)
    }
    let results = try await engine.generate(requests)
    #expect(results.map(\.id) == requests.map(\.id))
    #expect(results.allSatisfy { $0.completionTokens <= 5 && $0.finishReason != .cancelled })
    // With two slots, the last requests had to wait for a free slot.
    #expect(results.contains { $0.timings.queueSeconds > 0.01 })
    let alone = try await engine.generate(requests[5])
    #expect(alone.text == results[5].text)
  }

  @Test func throughputPresetSharesThePrefixInOneKVPool() async throws {
    var configuration = LlamaEngine.Configuration.throughput(contextSize: 1024, slots: 3)
    configuration.minimumCachedPrefixTokens = 16
    configuration.threads = Fixture.testThreads
    let engine = try LlamaEngine(model: Fixture.model(), configuration: configuration)
    let requests = Self.items.map {
      JudgeRequest(
        sharedPrefix: Self.rubric, item: $0, constraint: .jsonSchema(Self.verdictSchema), maxNewTokens: 64)
    }
    let results = try await engine.judge(requests)
    for result in results {
      #expect(result.cachedPromptTokens > 50)
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(result.text.utf8)) as? [String: Any], "\(result.text)")
      #expect((1...5).contains(object["score"] as? Int ?? 0))
    }
  }
}
