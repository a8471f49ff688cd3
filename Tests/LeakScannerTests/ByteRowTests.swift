import Foundation
import TestSupport
import Testing

@testable import EvalCore
@testable import LeakScanner

/// The scan reads rows as bytes where it can (``RowBytes``, ``ByteDetector``); these tests
/// check it reaches exactly what the `RowContext` path reaches, row by row and report by report,
/// on rows built to hit every detector and every place where bytes and Characters differ.
@Suite struct ByteRowTests {
  /// Pieces that rows are assembled from.
  static let openings = [
    "A4 spice combinator: ", "E1 — ", "QA12b lemon zest - ", "B12 is a vitamin. ", "AB1 x y z w v u: ",
    "A1 one two three four five six: ", "Z9\t|", "[variant 7] ", "<<seed>> ", "{{tmpl}}: ", "persona=lawyer ",
    "Remix 2: ", "Okay, so ", "Let me think. ", "\u{00A0}Hmm, ", " \u{0301}combining ", "Café: ",
    "\r\nA4 x: ",
    "ÀB1 y: ", "A4 façade: ", "", "   ", "x = 3 ",
  ]
  static let bodies = [
    "the claim recites a housing and a latch.", "duplicate of 3886 here.",
    "Diversify by changing the persona.",
    "a duplicate claim objection under 37 CFR 1.75.", "diversify the portfolio.", "vary the opening now.",
    "reduplicate of 12 is biology.", "thecourtheldthattheclaimwasanticipatedbysmith completely.",
    "The applicantâ€™s point.", "So the answer: 그러므로 답은 48입니다.", "ok \u{FFFD} broken.",
    String(repeating: "So the sum is 2500 again. ", count: 8), "note to self: harder.", "same as row 12.",
    "Avoid repeating row 3.", "short\nline one here\nline two here\n", "answer<|im_end|>", "Ξ θ λ words.",
    "cat dog bird", "x\r\ny", "\u{0600}<｜end▁of▁sentence｜>", "Internal note: harder.",
    "The firm’s internal note: rehire.", "their\tinternal note: x", "Banana internal note: y",
    "Copy of 3886.", "a copy of 3 documents.", "copy of row 12 — new city", "duplicate\r\nof 3886 again.",
    "duplicate\nof row 12.", "Diversify: use a different city.", "Diversify: a guide.",
    "Don’t mention this is synthetic.", "don't reveal this is generated",
    "vary the tone based on the persona",
  ]

  static func output(_ rng: inout some RandomNumberGenerator) -> String {
    let opening = openings.randomElement(using: &rng)!
    let body = (0..<Int.random(in: 1...3, using: &rng)).map { _ in bodies.randomElement(using: &rng)! }
      .joined(separator: " ")
    switch Int.random(in: 0..<15, using: &rng) {
    case 0: return "no reasoning here, \(opening)\(body)"
    case 1: return "<think>\(opening)\(body)"  // unclosed
    case 2: return "<think>\n\n</think>answer"
    case 3: return "<think>a <think>\(opening)b</think> c</think>ok"
    case 4: return "<think>\(opening)x</think>y<think>\(body)</think>z"
    case 5: return "\(opening)\(body)\n</think>answer"  // prefilled
    case 6: return "<think>\(opening)\(body)</think>ok</think>stray"
    case 7: return "<think>\u{00A0}</think>ok"
    case 9: return ""
    case 10: return " \n\t "
    case 11: return "\u{3000} "  // blank, but not ASCII
    case 8:
      // A loop only across the closing tag: three repeats on either side, six without the tags.
      let half = String(repeating: "so the sum is again ", count: 3)
      return "<think>\n\(opening)\(half)\n</think>\n\(half)"
    default: return "<think>\n\(opening)\(body)\n</think>\n\nAnswer: \(body)"
    }
  }

  static func row(_ i: Int, _ rng: inout some RandomNumberGenerator) -> String {
    let out = output(&rng)
    let bos = "<｜begin▁of▁sentence｜>"
    let eos = "<｜end▁of▁sentence｜>"
    switch i % 8 {
    case 7:
      // A reasoning field beside the response.
      let key = CorpusRowParser.reasoningKeys.randomElement(using: &rng)!
      let reasoning = openings.randomElement(using: &rng)! + bodies.randomElement(using: &rng)!
      return "{\"id\":\"r\(i)\",\"prompt\":\"q\",\"\(key)\":\(lit(reasoning)),\"response\":\(lit(out))}"
    case 6:
      // The reasoning in a field of its own (the turn is read as the template renders it).
      let key = CorpusRowParser.reasoningKeys.randomElement(using: &rng)!
      let reasoning = openings.randomElement(using: &rng)! + bodies.randomElement(using: &rng)!
      let answer = ["Answer: 48.", "", bodies.randomElement(using: &rng)!].randomElement(using: &rng)!
      return
        "{\"id\":\"r\(i)\",\"messages\":[{\"role\":\"user\",\"content\":\"q\",\"\(key)\":\"not read\"},{\"role\":\"assistant\",\"content\":\(lit(answer)),\"\(key)\":\(lit(reasoning))}]}"
    case 0: return "{\"id\":\"r\(i)\",\"prompt\":\(lit("Q\(i)?")),\"response\":\(lit(out))}"
    case 1: return messagesRow("r\(i)", out, prompt: "Q\(i) <|im_start|>?")
    case 2:
      return
        "{\"id\":\"r\(i)\",\"conversations\":[{\"from\":\"human\",\"value\":\"q\"},{\"from\":\"gpt\",\"value\":\(lit(out))},{\"from\":\"gpt\",\"value\":\(lit(output(&rng)))}]}"
    case 3:
      let text = [
        "\(bos)<｜User｜>q<｜Assistant｜>\(out)\(eos)", "<｜User｜>q<｜Assistant｜>\(out)\(eos) \n",
        "\(bos)<｜User｜>q<｜Assistant｜>\(out)", "\(bos)\u{0301}q\(out)\(eos)", "plain \(out)",
        "\(bos)q\(bos)\(out)\(eos)",
      ].randomElement(using: &rng)!
      return "{\"id\":\"r\(i)\",\"text\":\(lit(text))}"
    case 4:
      if Bool.random(using: &rng) {
        // An instruction layout, its prompt fields present, empty or absent.
        let input = ["", "some input", nil].randomElement(using: &rng)!.map { ",\"input\":\(lit($0))" } ?? ""
        let system = Bool.random(using: &rng) ? ",\"system\":\"Be brief.\"" : ""
        return "{\"id\":\"r\(i)\",\"instruction\":\"q\"\(input)\(system),\"output\":\(lit(out))}"
      }
      return "{\"id\":\"r\(i)\",\"prompt\":\"q\",\"response\":\(lit(out)),\"chosen\":\"x\"}"
    default: return "{\"id\":\"r\(i)\",\"text\":\(lit("<|begin_of_text|>\(out)<|eot_id|>"))}"
    }
  }

  @Test func everyBuiltInDetectorAgreesRowByRow() throws {
    var rng = SystemRandomNumberGenerator()
    let parser = CorpusRowParser()
    let detectors = ScanConfiguration.defaultDetectors()
    var byteAnswers = 0
    var fromModelText = 0
    for i in 0..<3000 {
      let line = Self.row(i, &rng)
      let parsed = parser.parse(JSONLLine(number: i + 1, offset: 0, bytes: Array(line.utf8)[...]))
      let row = try parsed.get()
      for format in [ReasoningFormat.think, .deepSeekR1] {
        let context = RowContext(row: row, format: format)
        var bytes = RowBytes(format: format)
        var scratch = DetectionScratch()
        guard bytes.load(row) else { continue }
        // The scan's way: the row's words read once, for the word detectors and the hash.
        var shared = DetectionScratch()
        let hash = shared.readRowWords(of: bytes, forDetectors: true, hashing: true)
        #expect(hash == normalizedHash(row.segments), "\(line)")
        if shared.wordsOfModelText { fromModelText += 1 }
        for d in detectors {
          let expected = !d.findings(in: context).isEmpty
          if let answer = (d as! any ByteDetector).flags(bytes, &shared) {
            #expect(answer == expected, "\(d.id), \(format.opening), words read once: \(line)")
          }
          guard let answer = (d as! any ByteDetector).flags(bytes, &scratch) else { continue }
          byteAnswers += 1
          #expect(answer == expected, "\(d.id), \(format.opening): \(line)")
        }
      }
    }
    // Most rows are answered on bytes (the rest fall back to RowContext by design).
    #expect(byteAnswers > 3000 * 2 * detectors.count / 2)
    // The rows whose words come from the model text as it is are a good part of them.
    #expect(fromModelText > 3000 * 2 / 10)
  }

  /// The byte path of the special-token check answers as the Character path for the named
  /// templates too (Llama 2's BOS after each EOS, Mistral's single BOS, HTML `<s>`).
  @Test func namedTemplatesAgreeOnBytes() throws {
    let texts = [
      "<s>[INST] q [/INST] a </s><s>[INST] q2 [/INST] b </s>", "<s>[INST] q [/INST] a <s> b </s>",
      "<s>[INST] q [/INST] a </s>\n<s>[INST] q2 [/INST] b </s>\n", "[INST] q [/INST] a </s>",
      "<s>[INST] q [/INST] a", "<s>[INST] q [/INST]<think>x</think>a</s>[INST] q2 [/INST]b</s>",
      "use <s>old</s> for strike-through", "<s>a<|im_start|>b</s>", "<s><s>a</s>",
    ]
    var answered = 0
    for template in [ChatTemplateTokens.llama2, .mistral, nil] {
      let detector = SpecialTokenDetector(template: template)
      for text in texts {
        let row = CorpusRow(
          line: 1, offset: 0, id: "t", shape: .text, segments: [RowSegment(role: "text", text: text)])
        var bytes = RowBytes(format: .think)
        var scratch = DetectionScratch()
        guard bytes.load(row) else { continue }
        let expected = !detector.findings(in: RowContext(row: row, format: .think)).isEmpty
        guard let answer = detector.flags(bytes, &scratch) else { continue }
        answered += 1
        #expect(answer == expected, "\(template?.name ?? "auto"): \(text)")
      }
    }
    #expect(answered == texts.count * 3)
  }

  @Test func byteRowsReproduceTheContextTextsAndOpenings() throws {
    var rng = SystemRandomNumberGenerator()
    let parser = CorpusRowParser()
    for i in 0..<2000 {
      let line = Self.row(i, &rng)
      let row = try parser.parse(JSONLLine(number: i + 1, offset: 0, bytes: Array(line.utf8)[...])).get()
      let context = RowContext(row: row, format: .think)
      var bytes = RowBytes(format: .think)
      guard bytes.load(row) else { continue }
      #expect(bytes.withModel { String(decoding: $0, as: UTF8.self) } == context.modelText)
      #expect(bytes.withPlain { String(decoding: $0, as: UTF8.self) } == context.plainModelText)
      let openings = bytes.withStorage { all in
        bytes.openings.map { String(decoding: UnsafeBufferPointer(rebasing: all[$0]), as: UTF8.self) }
      }
      #expect(openings == context.thinkOpenings.map(String.init))
      #expect(bytes.isASCII == context.isASCII)
      for opening in context.thinkOpenings {
        var text = opening
        var key: [UInt8] = []
        if text.withUTF8({ CorpusScanner.asciiHistogramKey($0, into: &key) }) {
          #expect(String(decoding: key, as: UTF8.self) == CorpusScanner.histogramKey(opening))
        }
        let first = text.withUTF8 { bytes in
          DiscoveryStats.asciiFirstLineEnd(of: bytes).map {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[..<$0]), as: UTF8.self)
          }
        }
        if let first { #expect(first == DiscoveryStats.firstLine(of: opening)) }
      }
    }
  }

  /// Lines where reading straight into ``RowBytes`` could go wrong: number and repeated ids,
  /// repeated keys (the last wins), escaped keys, role case, missing or mistyped fields,
  /// non-object elements, both list layouts, escapes, malformed JSON, invalid UTF-8.
  static let awkwardLines: [[UInt8]] =
    [
      #"{"id":3886,"prompt":"q","response":"a"}"#, #"{"id":"a","id":"b","text":"t"}"#,
      #"{"text":"a","text":"b"}"#, #"{"text":"x","text":1}"#, #"{"id":null,"text":"t"}"#,
      #"{"id":1.5e3,"text":"t"}"#, #"{"id":true,"text":"t"}"#, #"{ "text" : "spaced" , "id" : "s" }"#,
      #"{"messages":[{"role":"User","content":"q"},{"role":"ASSISTANT","content":"<think>x</think>y"}]}"#,
      #"{"messages":[{"role":"assistant","content":"x","role":"user"}]}"#,
      #"{"messages":[{"role":"assistant"}]}"#, #"{"messages":[{"role":1,"content":"x"}]}"#,
      #"{"messages":["x"]}"#, #"{"messages":[]}"#,
      #"{"messages":[{"role":"assistant","content":"a"}],"conversations":[{"from":"gpt","value":"b"}]}"#,
      #"{"conversations":[{"from":"gpt","value":"b"}],"messages":[{"role":"tool","content":"a"}]}"#,
      #"{"messages":"not a list","text":"t"}"#,
      #"{"conversations":[{"from":"gpt","value":"b"}],"conversations":[{"from":"human","value":"c"}]}"#,
      #"{"messages":[{"role":"assistant","content":"x"}],"messages":"str","text":"t"}"#,
      #"{"messages":"str","messages":[{"role":"assistant","content":"x"}]}"#,
      #"{"r\u0065sponse":"escaped key","prompt":"q"}"#, #"{"prompt":"q"}"#, #"{"prompt":1,"answer":"a"}"#,
      #"{"completion":"c","response":"r"}"#, #"{"output":null,"answer":"a"}"#, #"{"chosen":"c"}"#,
      #"{"text":"caf\u00e9 \ud83d\ude00 \n\t\"q\" \/"}"#, #"{"text":"bad \ud800"}"#,
      #"{"text":"x"} x"#, #"[1,2]"#, #""str""#, "{\"text\":\"x\"}\r", #"{"text":"x"#, #"{}"#,
      #"{"messages":[{"role":"assistant","content":"x","extra":{"a":[1,2,{"b":null}]}}]}"#,
      #"{"nested":{"deep":[[[[]]]]},"text":"t"}"#, #"{"messages":[{"role":"Ａssistant","content":"x"}]}"#,
      #"{"messages":[{"rol\u0065":"assistant","content":"x"}]}"#, #"{"text":"\u0000"}"#,
      #"{"text":"<think>\u00a0A4 x: y</think>z"}"#, #"{"text":"tab\there"}"#,
      // Reasoning fields: null is absent, the first key present wins, the last of one key wins,
      // a value that is not a string is refused, user turns' fields are not read.
      #"{"messages":[{"role":"assistant","content":"a","reasoning_content":"A4 x: y"}]}"#,
      #"{"messages":[{"role":"assistant","reasoning":"r","content":"a","thinking":"t"}]}"#,
      #"{"messages":[{"role":"assistant","content":"a","reasoning_content":null,"reasoning":"r"}]}"#,
      #"{"messages":[{"role":"assistant","content":"a","reasoning":"r1","reasoning":"r2"}]}"#,
      #"{"messages":[{"role":"assistant","content":"a","reasoning":"r1","reasoning":null}]}"#,
      #"{"messages":[{"role":"assistant","content":"a","thinking":{"text":"x"}}]}"#,
      #"{"messages":[{"role":"assistant","content":"a","thinking":3}]}"#,
      #"{"messages":[{"role":"user","content":"a","thinking":3},{"role":"gpt","content":"b"}]}"#,
      #"{"conversations":[{"from":"gpt","value":"v","reasoning_content":"caf\u00e9"}]}"#,
      // A reasoning field beside a response.
      #"{"prompt":"q","reasoning":"A4 x: y","response":"a"}"#,
      #"{"thinking":"t","answer":"a","reasoning_content":"rc"}"#,
      #"{"prompt":"q","reasoning_content":null,"reasoning":"r","output":"o"}"#,
      #"{"prompt":"q","reasoning":"r1","reasoning":"r2","response":"a"}"#,
      #"{"prompt":"q","reasoning":["p1",{"type":"text","text":"p2"}],"response":"a"}"#,
      #"{"prompt":"q","thinking":3,"response":"a"}"#, #"{"text":"t","reasoning":"r"}"#,
      #"{"prompt":"q","reasoning":"caf\u00e9","response":"a"}"#,
      // TRL's conversational layouts (message lists under prompt and completion keys).
      #"{"prompt":[{"role":"user","content":"q"}],"completion":[{"role":"assistant","content":"a"}]}"#,
      #"{"prompt":[{"role":"user","content":"q"}],"response":"r"}"#,
      #"{"prompt":"q","completion":[{"role":"assistant","content":"a"}],"response":"r"}"#,
      #"{"prompt":"q","chosen":[{"role":"assistant","content":"c"}],"rejected":[]}"#,
    ].map { Array($0.utf8) } + [[0x7B, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]]

  @Test func rowsReadFromBytesEqualTheParsersRows() throws {
    var rng = SystemRandomNumberGenerator()
    var lines = Self.awkwardLines
    for i in 0..<1500 { lines.append(Array(Self.row(i, &rng).utf8)) }
    var fast = 0
    for (n, bytesOfLine) in lines.enumerated() {
      let line = JSONLLine(number: n + 1, offset: n * 100, bytes: bytesOfLine[...])
      for shape in [nil] + CorpusShape.allCases.map(Optional.some) {
        let parsed = CorpusRowParser(shape: shape).parse(line)
        var bytes = RowBytes(format: .think)
        let text = String(decoding: bytesOfLine, as: UTF8.self)
        guard bytes.load(line: line, shape: shape) else { continue }
        if shape == nil && n >= Self.awkwardLines.count { fast += 1 }
        guard case .success(let row) = parsed else {
          Issue.record("read from bytes, but the parser rejects it: \(text)")
          continue
        }
        #expect(bytes.corpusRow() == row, "\(text) as \(shape.map(\.rawValue) ?? "auto")")
        #expect(bytes.id == row.id)
        #expect(bytes.shape == row.shape)
        #expect(bytes.allText == row.allText)
        #expect(bytes.normalizedHash == normalizedHash(row.segments))
        // Loading from the parsed row gives the same bytes-level view.
        var other = RowBytes(format: .think)
        let reloaded = other.load(row)
        #expect(reloaded)
        #expect(other.withPlain { Array($0) } == bytes.withPlain { Array($0) })
        #expect(other.openings.count == bytes.openings.count)
        #expect(other.isASCII == bytes.isASCII)
      }
    }
    // The generated rows (all well-formed) are mostly read from bytes (the rest need
    // Characters where an opening starts with a non-ASCII character).
    #expect(fast > 1500 * 7 / 10)
  }

  @Test func scanReportsAreTheSameEitherWay() async throws {
    var rng = SystemRandomNumberGenerator()
    let dir = TempDir()
    var lines = (0..<4000).map { Self.row($0, &rng) }
    lines[17] = "{not json"
    lines[40] = lines[39]  // an exact duplicate
    let path = dir.file("corpus.jsonl", lines.joined(separator: "\n") + "\n")
    var byBytes = CorpusScanner()
    var byContext = CorpusScanner()
    byBytes.usesByteRows = true
    byContext.usesByteRows = false
    let a = try await byBytes.scan(path: path, parallelism: 2)
    let b = try await byContext.scan(path: path, parallelism: 2)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    #expect(try encoder.encode(a) == encoder.encode(b))
    // A shard report also carries the discovery statistics (examples, variants) as they merge.
    let shardA = try await byBytes.scan(path: path, shard: (1, 1), parallelism: 2)
    let shardB = try await byContext.scan(path: path, shard: (1, 1), parallelism: 2)
    #expect(shardA.mergeState?.discovery == shardB.mergeState?.discovery)
    #expect(
      shardA.mergeState?.discovery.openingExamples.values.contains { ($0.variants?.count ?? 0) == 2 } == true)
    #expect(a.detectors.filter { $0.rows > 0 }.count >= 8)
  }

  /// The eight-bytes-at-a-time ASCII prefix agrees with its byte-by-byte definition.
  @Test func asciiCharacterPrefixAgreesWithItsDefinition() {
    var rng = SystemRandomNumberGenerator()
    let alphabet: [UInt8] = Array("ab \n:1".utf8) + [0x0D, 0xC3, 0xA9]
    for _ in 0..<5000 {
      let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
      let limit = Int.random(in: 0...30, using: &rng)
      let n = min(limit, bytes.count)
      var expected: Int? = n
      if bytes[..<n].contains(where: { $0 >= 0x80 || $0 == 0x0D }) || (n < bytes.count && bytes[n] >= 0x80) {
        expected = nil
      }
      let got = bytes.withUnsafeBufferPointer { RowBytes.asciiCharacterPrefix($0, limit) }
      #expect(got == expected, "\(bytes) \(limit)")
    }
  }

  @Test func designatorMatcherAgreesWithTheRegex() throws {
    let regex = try Pattern(DesignatorMatcher.pattern)
    var rng = SystemRandomNumberGenerator()
    let alphabet = Array("AB4 7a:|-_'\tx—Zz9 ")
    var decided = 0
    for _ in 0..<20000 {
      let text = String(
        (0..<Int.random(in: 0...24, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
      var copy = text
      let fast = copy.withUTF8 { DesignatorMatcher.matchesStart($0) }
      if let fast {
        decided += 1
        #expect(fast == (regex.prefixMatch(in: String(text.prefix(160))) != nil), "\(text)")
      }
    }
    #expect(decided > 5000)
    for text in [
      "A4 spice combinator: x", "QA12b a b c d e:", "A1 a b c d e f:", "AB1 x - y", "A1\t- y", "ABCD1: x",
    ] {
      var copy = text
      #expect(copy.withUTF8 { DesignatorMatcher.matchesStart($0) } == (regex.prefixMatch(in: text) != nil))
    }
    // The match itself (the evidence and the prefix `--repair` cuts) is ICU's: on codes followed
    // by words, blanks and separators in any order, where the greedy words decide its end.
    let codes = ["A4", "E1", "QA12b", "AB1", "Q3", "A12345", "a4", "ABCD1"]
    let pieces = [
      " ", "  ", "\t", "spice", "combinator", "-", "x-y", "don't", ":", "|", " - ", " -", "- ", ":  ", "a",
      "b_c",
      "9", "—", " : ",
    ]
    var matched = 0
    for _ in 0..<20000 {
      let text =
        codes.randomElement(using: &rng)!
        + (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
      let expected = regex.prefixMatch(in: text).map(String.init)
      let hand = RuleDetector.designatorMatch(text[...]).map(String.init)
      if text.utf8.allSatisfy({ $0 < 0x80 }) {
        #expect(hand == expected, "\(text)")
        if expected != nil { matched += 1 }
      } else if let hand {
        #expect(hand == expected, "\(text)")
      }
    }
    #expect(matched > 2000)
  }

  /// Lower-case codes (`a4 spice combinator:`): the hand matcher answers what ICU answers, on
  /// codes followed by prose words (one of them, a term's, or more), math, domain and chess
  /// terms, blanks and separators.
  @Test func lowercaseDesignatorMatcherAgreesWithTheRegex() throws {
    let regex = try Pattern(DesignatorMatcher.pattern)
    let codes = [
      "a4", "e1", "x2", "h2o", "a12", "a123", "a1234", "b12", "q3", "t2", "e4", "o2", "c14", "k9", "ab3",
    ]
    let pieces = [
      " ", "  ", "\t", "spice", "Spice", "combinator", "SPICE", "spiCe", "don't", "x-y", "is", "Is", "so",
      "let's", "Let", "island", "sofa", "opening", "saturation", "revenue", "weighted", "dating",
      "deficiency",
      "2024", "FY24", "fy24", "+", "=", ":", " : ", "|", " - ", "a", "x9", "_", "ab", "isn't", "the",
      "persona", "tax", "attorney", "\u{00A0}", "：", "—",
    ]
    var rng = SystemRandomNumberGenerator()
    var matched = 0
    var compared = 0
    let words = [
      "spice", "Spice", "combinator", "persona", "don't", "x-y", "is", "so", "opening", "revenue", "ab",
    ]
    let blanks = [" ", "  ", "\t", " \t"]
    for trial in 0..<20000 {
      // Half the openings are a code and words (then a colon, usually), the rest random pieces.
      var text = codes.randomElement(using: &rng)! + (Bool.random(using: &rng) ? " " : "")
      if trial % 2 == 0 {
        // Mostly two to five words (a label), sometimes one (a term) or six.
        for _
          in 0..<(trial % 10 == 0 ? [1, 6].randomElement(using: &rng)! : Int.random(in: 2...5, using: &rng))
        {
          text += blanks.randomElement(using: &rng)! + words.randomElement(using: &rng)!
        }
        text += [":", " :", "\t: ", ": ", "|", "—", " x"].randomElement(using: &rng)!
      }
      text += (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }
        .joined()
      let expected = regex.prefixMatch(in: String(text.prefix(160))).map(String.init)
      let hand = RuleDetector.designatorMatch(text[...]).map(String.init)
      if text.utf8.allSatisfy({ $0 < 0x80 }) {
        compared += 1
        #expect(hand == expected, "\(text)")
        var copy = text
        #expect(copy.withUTF8 { DesignatorMatcher.matchesStart($0) } == (expected != nil), "\(text)")
        if expected != nil { matched += 1 }
      } else if let hand {
        #expect(hand == expected, "\(text)")
      }
    }
    #expect(compared > 5000 && matched > 2000, "\(compared) compared, \(matched) matched")
  }

  /// Domain terms (`Q3 2024 revenue:`, `CO2:`, `F1 score:`) are left out by the hand matcher
  /// exactly where the regex's lookahead leaves them out.
  @Test func designatorDomainTermsAgreeWithTheRegex() throws {
    let regex = try Pattern(DesignatorMatcher.pattern)
    // `startsWithTerm` rules out a head whose second byte is a lower-case letter before its
    // table lookup: no code of a term may be so written.
    for code in DesignatorMatcher.domainTerms.flatMap(\.codes) {
      let bytes = Array(code.utf8)
      #expect(bytes.count == 1 || !(0x61...0x7A).contains(bytes[1]), "\(code)")
    }
    // Each entry's codes with its words (one of them a piece), and codes of no entry.
    let entries =
      (DesignatorMatcher.domainTerms + DesignatorMatcher.lowercaseTerms).map { ($0.codes, $0.words) } + [
        (["Q5", "FY2024", "FY24", "FY2", "FYX24", "CO2x", "O2", "A4"], ["revenue"])
      ]
    let pieces = [
      " ", "  ", "\t", "2024", "FY24", "FY", "20245", "revenue", "Revenue", "REVENUES", "score", "scorer",
      "reaction", "deficiency", "spice", ":", " - ", "_", "x", "—", "weighting", "vertebra", "Forms",
      "bucket", "SUMMIT", "fission", "count", "t", "persona",
    ]
    var rng = SystemRandomNumberGenerator()
    var exempt = 0
    for _ in 0..<20000 {
      let (codes, words) = entries.randomElement(using: &rng)!
      let own = words.randomElement(using: &rng).map { [$0, $0.uppercased()] } ?? []
      // Half the time the code's own word follows it, as in a term.
      let lead = Bool.random(using: &rng) ? " " + (own.randomElement(using: &rng) ?? "") : ""
      // Half the time in lower case, as the lower-case rule compares codes.
      let code = codes.randomElement(using: &rng)!
      let text =
        (Bool.random(using: &rng) ? code : code.lowercased()) + lead
        + (0..<Int.random(in: 0...6, using: &rng)).map { _ in (pieces + own).randomElement(using: &rng)! }
        .joined()
        + ": x"
      let expected = regex.prefixMatch(in: text).map(String.init)
      if text.utf8.allSatisfy({ $0 < 0x80 }) {
        #expect(RuleDetector.designatorMatch(text[...]).map(String.init) == expected, "\(text)")
        var copy = text
        if copy.withUTF8({
          DesignatorMatcher.startsWithDomainTerm($0)
            || DesignatorMatcher.startsWithTerm($0, ignoringCase: true)
        }) {
          exempt += 1
        }
      }
    }
    #expect(exempt > 1000)
  }

  /// The hand matcher of a discovered opening's rule returns ICU's match (the evidence and the
  /// prefix `--repair` cuts), on openings made of the pieces its regex turns on.
  @Test(arguments: [
    "X# …", "X# spice combinator:", "mix-# sour bridge:", "[variant #]", "lens # (role)", "x#b",
    "## the claim",
    "### plan", "id # says", "#e", "v# #-#", "X# the question", "X# okay, so", "km-# >> the",
    // A label and a letter, a hash and a number.
    "variant-X …", "**variant-X** …", "variant-X okay, so", "persona-X: the", "## …",
  ])
  func shapeMatchersAgreeWithTheRegex(shape: String) throws {
    try expectShapeMatcherAgrees(confidentOpening(shape, example: shape), leads: [])
  }

  /// A family limited to its codes: the hand matcher still returns ICU's match, on openings
  /// that start with a listed code, an unlisted one or a longer or shorter one.
  @Test func familyShapeMatchersLimitedToCodesAgreeWithTheRegex() throws {
    var family = confidentOpening("X# …", example: "E1 Okay, so")
    family.codes = Discovery.orderedCodes(["E1", "A4", "QA12b", "A41", "B7"])
    try expectShapeMatcherAgrees(
      family, leads: ["E1", "A4", "A41", "A412", "QA12b", "QA12", "T2", "E", "(A4)", "**B7**"],
      // About 100 of the 6000 match (a listed code, then a label or a sentence at random).
      minMatched: 40)
  }

  /// Compares the rule of `candidate` with its hand matcher on 6000 openings: half start as the
  /// shape does (or, with `leads`, with one of them), the rest are random pieces.
  private func expectShapeMatcherAgrees(
    _ candidate: DiscoveryCandidate, leads: [String], minMatched: Int = 100
  ) throws {
    let shape = candidate.shape
    let rule = candidate.rule()
    guard case .regex(let regex) = rule.matcher else {
      Issue.record("not a regex rule")
      return
    }
    let matcher = try #require(rule.shapeMatcher)
    #expect(RuleDetector.shapeMatcher(rule) == matcher)
    let pieces = [
      "A4", "QA12b", "ABCD1", "a4", "7", "12", " ", "  ", "\t", "spice", "SPICE", "combinator", "combinator:",
      ":",
      "|", " - ", "-", "mix-", "sour", "bridge", "[variant", "3]", "]", "lens", "(role)", "(", "b", "x",
      "x9b",
      "Okay,", "so", "word", "don't", "a_b", "\n", "—", String(repeating: "w", count: 70), "#", "##", "#12",
      "the", "claim", "plan", "7f3a9c21", "e29b-41d4", "cafe", "9f", "-7", "a-", "F00D",
      // Sentence starts after a bare code, and words that only look like them.
      "Okay", "The", "The question", "we", "We", "I'm", "let's", "Note", "ok-ish", "okayish", "So", "A",
      "question", "km-", ">>", "E1.", "(A4)", "**B2**", ".", ",", ")", "*", "\u{0B}",
      "Variant-A", "variant-b", "VARIANT-C:", "-A", "-", "Persona-Z", "persona-Q:", "**Variant-B**", "#7",
      "#123:", "A", "Z",
    ]
    var rng = SystemRandomNumberGenerator()
    var matched = 0
    for trial in 0..<6000 {
      // Half the openings start as the shape does, the rest are random pieces.
      var text =
        trial % 2 != 0
        ? ""
        : !leads.isEmpty
          ? leads.randomElement(using: &rng)!
          : shape == "## …"
            ? "#\(trial % 97)"
            : shape.replacingOccurrences(of: " …", with: "").replacingOccurrences(
              of: "#", with: trial % 4 == 0 || shape.hasPrefix("X#") ? "\(trial % 97)" : "#")
      for _ in 0..<Int.random(in: 0...10, using: &rng) { text += pieces.randomElement(using: &rng)! }
      let expected = regex.prefixMatch(in: String(text.prefix(160))).map(String.init)
      if expected != nil { matched += 1 }
      let decided = RuleDetector.shapeMatch(matcher, text[...])
      if text.utf8.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) {
        #expect(decided.map { $0.map(String.init) } == .some(expected), "\(shape): \(text)")
      } else if let decided {
        #expect(decided.map(String.init) == expected, "\(shape): \(text)")
      }
    }
    // About 200–300 of the 6000 for the least matched shapes: both outcomes are compared often.
    #expect(matched > minMatched)
  }

  /// The hand matchers of `duplicate-of`, `copy-of` and `diversify` answer what ICU answers,
  /// on text made of the pieces each regex turns on (nouns, counts, blanks, line breaks,
  /// plurals, word characters, the punctuation that ends a note, a colon's instruction).
  @Test(arguments: [NoteMatcher.Kind.duplicateOf, .copyOf, .diversify])
  func noteMatchersAgreeWithTheRegex(kind: NoteMatcher.Kind) throws {
    let source =
      switch kind {
      case .duplicateOf: NoteMatcher.duplicateOf
      case .copyOf: NoteMatcher.copyOf
      case .diversify: NoteMatcher.diversify
      }
    let regex = try Pattern(source, caseInsensitive: true)
    #expect(NoteMatcher.Kind(regex) == kind)
    #expect(NoteMatcher.Kind(try Pattern(source)) == nil)  // case matters: ICU decides
    let pieces = [
      " ", " ", "\t", "  ", "row", "Row", "item", "id", "idx", "sample", "example", "#", "12", "3886", "7a",
      "_", "-", "'", ",", ".", "is", "IS", "was", "its", "us", "claims", "Items", "s", "earlier", "x1", "by",
      "BY", "with", "across", "using", "the", "the ", "numbers", "Number", "names", "wording", "openings",
      "opening", "style", "styles", "answers", "rows", "variants", "holding", "index", "funds", "changing",
      "numbers-based", "don't", "a", "buying", "BUYING", "Using", "varying", "ing", "sing", "wording",
      "stocks", "in", "of", "from", "on", "In", "into", "table", "list",
      // Line breaks, the end of a `copy of` note, a colon's instruction.
      "\n", "\r\n", "\r", ";", ")", "]", "\"", "*", "<", ":", "(", "!", "?", " - ", "5", ".5", ",5", "use",
      "Use", "different", "another", "new", "city", "cities", "names2", "change", "some", "tone", "other",
    ]
    // The regex's own order, each step usually taken, then random pieces; a head and its steps
    // for each form of the note.
    let forms: [(head: String, steps: [[String]])]
    let place: [[String]] = [
      // A place after the row (`in the table`), which leaves a noun's target out.
      [" ", "\t", ""], ["in", "of", "FROM", "on", "into", "one"], [" ", "\t", ""],
      ["the", "table", "_", "7"],
    ]
    let target: [[String]] = [
      [" ", "\t", "  "], ["row", "Item", "id", "sample", "example", ""], [" ", ""], ["#"],
      ["12", "3886", "1999", "2008", "19991", "1840"],
    ]
    switch kind {
    case .duplicateOf:
      let breaks = [
        " of", "\nof", " \n of", "\r\nof", "\t\nof", "  of", "\tof", "\n\nof", "\rof", "of", " \r\n\tof",
        "-of", "-of:", " of:", "- of", "-Of:", " of::", "--of",
      ]
      forms = [("duplicate", [breaks] + target + place)]
    case .copyOf:
      let ends = [
        ".", ".5", ",", ",5", ".e4", ",b", ";", ")", "]", "\"", "*", "<", "\n", "\r\n", " - ", "-", " -x",
        ":", "(", "x",
        "",
      ]
      forms = [
        ("copy of", target + place), ("copy of", target + [[" ", "\t", "  ", ""], ends]),
        ("copy of", [[" ", "\t"], ["12", "3886", "1999", "2008", "20081"], [" ", "\t", ""], ends]),
      ]
    case .diversify:
      forms = [
        (
          "diversify ",
          [
            ["by", "with", "across", "using", "the ", "The ", "names", "Personas", "wording_", "holdings"],
            [" "],
            ["changing", "the", "don't", "x-y", "persona", "personas"],
            [" "],
          ]
        ),
        (
          "diversify",
          [
            [":", " :", ": ", ":\t", "  :", " ", ""], [" ", "\t", ""],
            ["use", "Change", "pick", "vary", "spread", "mix"], [" ", "\t", ""],
            ["a", "another", "the", "some", "An", "one"], [" ", ""], ["different", "new", "other", "asset"],
            [" ", "\t"], ["city", "names", "name", "topic", "Cities", "names2", "stocks", "tone"],
          ]
        ),
      ]
    }
    var rng = SystemRandomNumberGenerator()
    var matched = 0
    for trial in 0..<30000 {
      let form = forms.randomElement(using: &rng)!
      var tail = form.steps.map {
        Int.random(in: 0..<5, using: &rng) == 0 ? "" : $0.randomElement(using: &rng)!
      }
      for _ in 0..<Int.random(in: 0...8, using: &rng) {
        tail.append(Bool.random(using: &rng) ? " " : pieces.randomElement(using: &rng)!)
      }
      let text = (trial % 2 == 0 ? form.head.uppercased() : form.head) + tail.joined()
      let match = regex.prefixMatch(in: text)
      let expected = match != nil
      if expected { matched += 1 }
      Array(text.utf8).withUnsafeBufferPointer { bytes in
        #expect(kind.matchesStart(bytes) == expected, "\(text)")
        // The match itself, which `clean` reports as evidence.
        #expect(kind.matchLength(bytes) == match?.utf8.count, "\(text)")
      }
    }
    // Both answers occur often enough for the comparison to mean something.
    #expect(matched > 300 && matched < 29700)
  }

  /// Text whose only non-ASCII characters are symbols (DeepSeek's special tokens) takes the
  /// eight-bytes-at-a-time path; it must still agree with `detect`, flagged or not.
  @Test func runTogetherFlagsAgreeWithSymbolsAroundTheText() {
    var rng = SystemRandomNumberGenerator()
    let words = [
      "the", "claim", "thecourtheldthattheclaimwasanticipatedbysmith", "<｜end▁of▁sentence｜>", "—", "€x",
      "a｜b", "word", "\n", String(repeating: "ab", count: 14) + "—" + String(repeating: "cd", count: 14),
    ]
    let check = RunTogetherCheck()
    var flagged = 0
    for _ in 0..<2000 {
      let n = Int.random(in: 1...60, using: &rng)
      let text = (0..<n).map { _ in words.randomElement(using: &rng)! }.joined(
        separator: Int.random(in: 0..<8, using: &rng) == 0 ? "" : " ")
      let expected = check.detect(in: text) != nil
      if expected { flagged += 1 }
      Array(text.utf8).withUnsafeBufferPointer { bytes in
        #expect(RunTogetherCheck.nonASCIIIsPunctuation(bytes))
        #expect(check.flags(in: bytes) == expected, "\(text)")
      }
    }
    #expect(flagged > 100 && flagged < 1900)
  }

  @Test func runTogetherAndRepetitionFlagsAgreeOnRandomText() {
    var rng = SystemRandomNumberGenerator()
    let words = [
      "the", "claim", "thecourtheldthattheclaimwasanticipated", "Smith", "a1", "x", "\n", "\t", "é",
      "camelCaseWordsRunTogetherButFine", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "<｜end▁of▁sentence｜>", "—", "€",
      "\u{00A0}", "日本", "\u{3000}", "ｘ", "word｜word", "\u{0B}", "\u{0C}", "\r",
    ]
    let runTogether = RunTogetherCheck()
    let repetition = RepetitionCheck()
    var scratch = WordStatistics()
    var statistics = WordStatistics()
    for _ in 0..<3000 {
      let n = Int.random(in: 0...120, using: &rng)
      var text = (0..<n).map { _ in words.randomElement(using: &rng)! }.joined(
        separator: Bool.random(using: &rng) ? " " : "")
      if Bool.random(using: &rng) {
        text += String(repeating: " so it goes", count: Int.random(in: 0...9, using: &rng))
      }
      let expectedRunTogether = runTogether.detect(in: text) != nil
      let expectedLoop = repetition.detect(in: text) != nil
      let utf8 = Array(text.utf8)
      utf8.withUnsafeBufferPointer { bytes in
        #expect(runTogether.flags(in: bytes) == expectedRunTogether, "\(text)")
        #expect(repetition.flags(in: bytes, scratch: &scratch) == expectedLoop, "\(text)")
        // The same answers from the words read once for both checks.
        statistics.read(bytes)
        #expect(runTogether.flags(in: bytes, words: statistics) == expectedRunTogether, "\(text)")
        #expect(repetition.flags(words: statistics) == expectedLoop, "\(text)")
      }
    }
  }
}
