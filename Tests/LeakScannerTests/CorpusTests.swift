import EvalCore
import Foundation
import TestSupport
import Testing

@testable import LeakScanner

/// A corpus of `n` rows with natural openings; `planted(i)` may replace a row's opening.
func generatedCorpus(_ n: Int, planted: (Int) -> String? = { _ in nil }) -> String {
  var rng = SystemRandomNumberGenerator()
  var lines: [String] = []
  for i in 0..<n {
    let opening = planted(i) ?? naturalOpenings[i % naturalOpenings.count]
    let body = bodies[(i * 7) % bodies.count]
    let extra =
      "Case \(Int.random(in: 0...1_000_000, using: &rng)) needs \(Int.random(in: 2...500, using: &rng)) checks."
    lines.append(
      messagesRow(
        "row-\(i)", "<think>\n\(opening)\(body) \(extra)\n</think>\n\nAnswer \(i).", prompt: "Question \(i)?")
    )
  }
  return lines.joined(separator: "\n") + "\n"
}

@Suite struct DiscoveryCorpusTests {
  @Test func findsAPlantedFamilyItWasNeverToldAbout() async throws {
    let dir = TempDir()
    // 15% of rows open with "Blend matrix N says:" — no built-in rule matches it.
    let path = dir.file(
      "c.jsonl", generatedCorpus(1000) { i in i % 7 == 0 ? "Blend matrix \(i % 13) says " : nil })
    let report = try await CorpusScanner().scan(path: path)
    #expect(report.detectors.first { $0.id == "scaffold-prefix" }?.rows == 0)
    let top = try #require(report.discovered.first)
    #expect(top.shape == "blend matrix #")
    #expect(top.count == 143)
    #expect(top.highConfidence)
    #expect(top.exampleLines.first == 1)
    // Natural openings are frequent (≈ 14% each) but never candidates.
    for natural in ["okay, so", "let me think", "first,", "alright,", "hmm,", "so the"] {
      #expect(!report.discovered.contains { $0.shape.hasPrefix(natural) }, "\(natural)")
    }
    #expect(!report.discovered.contains { $0.kind == .opening && $0.highConfidence && $0.shape != top.shape })
  }

  /// Domain openings that look like family codes (`CO2: …`, `Q3 revenue: …`) are flagged by no
  /// rule on either path, counted as no family by discovery, and left alone by a family rule
  /// discovered beside them.
  @Test func domainTermsAreNoFamily() async throws {
    let dir = TempDir()
    let domain = [
      "CO2: carbon dioxide rose, ", "Q# revenue: up again, ", "F1 score: high, ", "FY202#: good, ",
    ]
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1400) { i in
        i % 7 < domain.count
          ? domain[i % 7].replacingOccurrences(of: "#", with: "\(i % 4 + 1)")
          : (i % 7 == 4 ? "A\(i % 9) spice combinator: " : nil)
      })
    for byteRows in [true, false] {
      var scanner = CorpusScanner()
      scanner.usesByteRows = byteRows
      let report = try await scanner.scan(path: path, parallelism: 1)
      #expect(report.detectors.first { $0.id == "scaffold-prefix" }?.rows == 200, "bytes: \(byteRows)")
      let family = try #require(report.discovered.first { $0.shape == "X# …" })
      #expect(family.count == 200 && family.highConfidence)
      #expect(!report.discovered.contains { $0.shape.contains("revenue") || $0.shape.contains("score") })
      let rule = family.rule()
      for text in ["CO2: carbon", "Q3 revenue: up", "F1 score: high", "FY2024: good"] {
        #expect(rule.match(text[...]) == nil, "\(text)")
        var copy = text
        #expect(
          copy.withUTF8 { rule.shapeMatcher?.matchLength(atStartOf: $0) } == .some(.some(nil)), "\(text)")
      }
      #expect(rule.match("A4 spice combinator: x"[...]) == "A4 spice combinator: ")
    }
  }

  /// An instruction the pipeline wrote before the reasoning, a plain sentence with the row's
  /// own text after it on the same line, is found as a repeated line and ranked first (for the
  /// user to accept: prose is never confident); the natural first sentences are not counted.
  @Test func findsAPlantedInstructionSentence() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1000) { i in
        i % 5 == 0
          ? "Remember to sound natural and human. " + naturalOpenings[i % naturalOpenings.count] : nil
      })
    let report = try await CorpusScanner().scan(path: path)
    let top = try #require(report.discovered.first)
    #expect(top.kind == .repeatedLine && top.shape == "remember to sound natural and human.")
    #expect(top.count == 200 && !top.highConfidence && top.exampleLines.first == 1)
    #expect(!report.discovered.contains { $0.shape.hasPrefix("okay") || $0.shape.hasPrefix("let") })
    // Accepted, its rule flags exactly the rows it was counted from.
    #expect(try await acceptedRows(top.rule(), in: path) == 200)
  }

  @Test func firstSentencesAreTakenOnlyWhenTextFollowsAndTheyAreNotReasoning() {
    func sentence(_ text: String) -> String? {
      let bytes = Array(text.utf8)
      return bytes.withUnsafeBufferPointer { b in
        DiscoveryStats.firstSentence(of: b).map { String(decoding: bytes[$0], as: UTF8.self) }
      }
    }
    #expect(sentence("\n  Make sure to vary it. Then the claim.") == "Make sure to vary it.")
    #expect(sentence("Remember, sound human now! The claim.") == "Remember, sound human now!")
    #expect(sentence("Remember to sound human.") == nil)  // the whole line: counted as a line
    #expect(sentence("Remember to sound human.\nThe claim. More.") == nil)
    #expect(sentence("Be brief. The claim.") == nil)  // under four words
    #expect(sentence("Okay, so the user asks this. The claim.") == nil)  // reasoning's own
    #expect(sentence("A4 spice combinator says so. The claim.") == nil)  // a code: an opening
    #expect(
      sentence("Remember to check version 2.5 first. The claim.") == "Remember to check version 2.5 first.")
  }

  /// A family without a separator is found by its words, and the rule made from it flags the
  /// rows it was counted from; one opening repeated word for word (`CO2 emissions rose`), a
  /// token that is no family code (`H2O`) and natural openings are never confident.
  @Test func candidatesRulesMatchTheirRowsAndRepeatedProseIsNotConfident() async throws {
    let dir = TempDir()
    let planted = [
      "Q# mango ridge ", "CO2 emissions rose sharply, ", "Understanding the problem, ",
      "H2O boils at 100 C, ",
    ]
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1400) { i in
        i % 7 < planted.count ? planted[i % 7].replacingOccurrences(of: "#", with: "\(i % 9)") : nil
      })
    let report = try await CorpusScanner().scan(path: path)
    let mango = try #require(report.discovered.first { $0.shape == "X# mango ridge" })
    #expect(mango.highConfidence && mango.count == 200)
    // No family `X# …` is counted from openings without a separator after the code.
    #expect(report.discovered.first { $0.shape == "X# …" } == nil, "\(report.discovered.map(\.shape))")
    for candidate in report.discovered where candidate.highConfidence {
      #expect(candidate.shape == "X# mango ridge", "\(candidate.shape) is confident")
    }
    #expect(!report.discovered.contains { $0.shape.hasPrefix("understanding") })
    #expect(!report.discovered.contains { $0.shape.hasPrefix("X# boils") })
    // The accepted rule flags exactly the rows it was counted from.
    #expect(try await acceptedRows(mango.rule(), in: path) == 200)
  }

  /// The generator's word and number opening the reasoning is its stamp even written the same
  /// on every row (`— remix 12`): confident, and `clean` quarantines exactly its rows; another
  /// opening repeated word for word with a number is not.
  @Test func aGeneratorsWordAndNumberRepeatedWordForWordIsConfident() async throws {
    let dir = TempDir()
    let planted = ["— remix 12 ", "Route 66 runs west, ", "Variant 2 spreads faster, "]
    let path = dir.file(
      "c.jsonl", generatedCorpus(1000) { i in i % 10 < planted.count ? planted[i % 10] : nil })
    let report = try await CorpusScanner().scan(path: path)
    let confident = report.discovered.filter(\.highConfidence)
    #expect(confident.map(\.shape) == ["— remix #"], "\(report.discovered.map(\.shape))")
    #expect(confident.first?.count == 100)
    #expect(Discovery.opensWithGeneratorNumber("— remix #"))
    #expect(Discovery.opensWithGeneratorNumber("* variant #:"))
    #expect(!Discovery.opensWithGeneratorNumber("variant # spreads"))
    #expect(!Discovery.opensWithGeneratorNumber("route #"))
    #expect(!Discovery.opensWithGeneratorNumber("remix the track"))
    let counts = try await defaultCleanCounts(path)
    #expect(counts.quarantined == 100 && counts.clean == 900)
  }

  /// A shape writes a digit run and the text's own `#` alike (`#8337 the claim` and `## The
  /// claim` are both `## the claim`): the rule of such a candidate, accepted, flags exactly the
  /// rows it was counted from, on the byte path and through ICU.
  @Test func rulesOfShapesWithAHashMatchTheirRows() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1200) { i in
        switch i % 12 {
        case 0, 6: "#\(1000 + i) "
        case 3: "## "
        default: nil
        }
      })
    let report = try await CorpusScanner().scan(path: path)
    let hashed = report.discovered.filter { $0.kind == .opening && $0.shape.hasPrefix("## ") }
    // `#1000 the claim …` (every sixth row; also the family of a hash and a number, `## …`,
    // which a Markdown heading is not) and `## The portfolio …` (every twelfth).
    #expect(
      hashed.map { [$0.shape: $0.count] } == [
        ["## …": 200], ["## the claim": 200], ["## the portfolio": 100],
      ],
      "\(report.discovered.map(\.shape))")
    for candidate in hashed {
      for byteRows in [true, false] {
        #expect(
          try await acceptedRows(candidate.rule(), in: path, byteRows: byteRows, parallelism: 1)
            == candidate.count,
          "\(candidate.shape), bytes: \(byteRows)")
      }
    }
  }

  /// Row ids as hex (`7f3a9c21-b4e1: …`, a different one on every row) group as row numbers
  /// do: the family is found, ranked first, and its rule flags exactly its rows.
  @Test func groupsHexRowIdsIntoOneFamily() async throws {
    let dir = TempDir()
    var rng = SystemRandomNumberGenerator()
    let ids = (0..<1000).map { _ in
      // A letter and digits in the second part, so every id is one.
      String(UInt32.random(in: 0x1000_0000...UInt32.max, using: &rng), radix: 16) + "-a"
        + String(Int.random(in: 100...999, using: &rng))
    }
    let path = dir.file("c.jsonl", generatedCorpus(1000) { i in i % 5 == 0 ? "\(ids[i]): " : nil })
    let report = try await CorpusScanner().scan(path: path)
    let top = try #require(report.discovered.first)
    #expect(top.shape == "#: …" && top.count == 200, "\(report.discovered.map(\.shape))")
    #expect(try await acceptedRows(top.rule(), in: path) == 200)
  }

  /// A lower-case code is a code, not the article it starts with (`a4` is no `a`).
  @Test func findsALowerCaseCodeFamily() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl", generatedCorpus(700) { i in i % 5 == 0 ? "a\(i % 9) spice combinator: " : nil })
    let report = try await CorpusScanner().scan(path: path)
    let top = try #require(report.discovered.first)
    #expect(top.shape == "a# spice combinator:" && top.count == 140 && top.highConfidence)
    #expect(try await acceptedRows(top.rule(), in: path) == 140)
  }

  @Test func groupsCodeFamiliesByShape() async throws {
    let dir = TempDir()
    let families = ["A1 spice combinator: ", "A4 spice combinator: ", "E1 garlic blender: "]
    let path = dir.file("c.jsonl", generatedCorpus(600) { i in i % 2 == 0 ? families[i % 3] : nil })
    let report = try await CorpusScanner().scan(path: path)
    let spice = try #require(report.discovered.first { $0.shape == "X# spice combinator:" })
    #expect(spice.count == 200)
    let family = try #require(report.discovered.first { $0.shape == "X# …" })
    #expect(family.count == 300)
    #expect(report.detectors.first { $0.id == "scaffold-prefix" }?.rows == 300)
    #expect(report.openingHistogram["A1 spice combinator:"] == 100)
  }

  /// The family rule takes codes that label the block, not words that happen to hold a digit;
  /// numbered steps are candidates at most, never confident.
  @Test func familyRulesNeedALabelAndNumberedStepsAreNotConfident() async throws {
    let family = confidentOpening("X# …", example: "A4 spice combinator: ", count: 300, share: 0.5)
    let rule = family.rule()
    #expect(rule.match("A4 spice combinator: claim 1"[...]) == "A4 spice combinator: ")
    #expect(rule.match("E1: the claim"[...]) == "E1: ")
    for natural in ["H2O boils at 100 C.", "Q3 revenue was up, fine.", "CO2 emissions rose", "A4 paper"] {
      #expect(rule.match(natural[...]) == nil, "\(natural)")
    }
    // Other code-like families keep their own rule (no colon needed).
    for (shape, text) in [("[variant …", "[variant 7] Let me think."), ("seed=# …", "seed=41 The claim.")] {
      var other = family
      other.shape = shape
      #expect(other.rule().match(text[...]) != nil, "\(shape)")
    }
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(400) { i in i % 3 == 0 ? "Step \(i % 4 + 1): " : (i % 3 == 1 ? "\(i % 5). " : nil) })
    let report = try await CorpusScanner().scan(path: path)
    #expect(!report.discovered.contains { $0.highConfidence }, "\(report.discovered.map(\.shape))")
  }

  /// Code recurs in any corpus that teaches it, and domain text numbers its parts: neither is
  /// confident scaffolding, so `clean` never quarantines such rows on discovery alone. A tag
  /// written as `key=value` on its own line still is.
  @Test func codeLinesAndDomainNumberingAreNotConfident() async throws {
    let dir = TempDir()
    var rows: [String] = []
    for i in 0..<300 {
      var think = "Okay, so the user wants item \(i) handled.\n"
      if i % 5 == 0 {
        think += "```python\nimport pandas as pd\ndf = pd.read_csv(path)\nprint(df.head())\n```\n"
      }
      if i % 7 == 0 { think += "total = raw.sum()\n" }
      if i % 4 == 1 { think = "Article \(i % 90 + 1) of the GDPR says data must be minimised.\n" + think }
      if i % 3 == 2 { think += "pipeline_stage=draft\n" }
      rows.append(messagesRow("r\(i)", "<think>\n\(think)</think>\n\nDone \(i)."))
    }
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    let report = try await CorpusScanner().scan(path: path)
    let confident = report.discovered.filter(\.highConfidence).map(\.shape)
    #expect(
      !report.discovered.contains { $0.shape.contains("pd.read_csv") }, "\(report.discovered.map(\.shape))")
    #expect(!confident.contains { $0.contains("raw.sum") || $0.hasPrefix("article") }, "\(confident)")
    #expect(confident.contains("pipeline_stage=draft"), "\(confident)")
  }

  /// The assistant roles of other chat datasets are model text too (`chatgpt`, `bot`, `AI`), on
  /// the byte path and the `RowContext` path alike.
  @Test func assistantRolesOfOtherDatasetsAreModelText() async throws {
    let dir = TempDir()
    let think = lit("<think>\nA4 spice combinator: the claim.\n</think>\n\nNo.")
    let rows = [
      "{\"id\":\"c\",\"conversations\":[{\"from\":\"human\",\"value\":\"Q?\"},{\"from\":\"chatgpt\",\"value\":\(think)}]}",
      "{\"id\":\"b\",\"conversations\":[{\"from\":\"human\",\"value\":\"Q?\"},{\"from\":\"bot\",\"value\":\(think)}]}",
      "{\"id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"Q?\"},{\"role\":\"AI\",\"content\":\(think)}]}",
      "{\"id\":\"u\",\"messages\":[{\"role\":\"user\",\"content\":\(think)},{\"role\":\"assistant\",\"content\":\"<think>Okay.</think>No.\"}]}",
    ]
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    for byteRows in [true, false] {
      var scanner = CorpusScanner()
      scanner.usesByteRows = byteRows
      let report = try await scanner.scan(path: path)
      #expect(report.detectors.first { $0.id == "scaffold-prefix" }?.rows == 3, "byte rows: \(byteRows)")
    }
  }

  /// OpenAI's content parts are read as the message's text (text parts joined, others
  /// skipped); a part that is neither is a malformed line naming the field.
  @Test func contentPartsAreMessageText() async throws {
    let dir = TempDir()
    let think = lit("<think>\nA4 spice combinator: the claim.\n</think>\n\nNo.")
    let rows = [
      "{\"id\":\"p\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Q?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]},{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\(think)}]}]}",
      "{\"id\":\"q\",\"messages\":[{\"role\":\"user\",\"content\":[1,2]},{\"role\":\"assistant\",\"content\":\"<think>ok</think>No.\"}]}",
    ]
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    let report = try await CorpusScanner().scan(path: path)
    #expect(report.rows == 1 && report.malformedLines == 1)
    #expect(report.detectors.first { $0.id == "scaffold-prefix" }?.rows == 1)
    #expect(report.issues.first?.description.contains("messages.0.content") == true)
  }

  /// Instruction layouts (`{instruction, input, output}`, `{question, answer}`, a `system`
  /// field) read their prompt fields as prompt text, on the byte path and the parsed one: rows
  /// with one answer to other instructions are no copies, and the prompt names the languages
  /// an answer may use.
  @Test func instructionLayoutsReadTheirPromptFields() async throws {
    let dir = TempDir()
    let lines = [
      #"{"instruction":"Is 7 prime?","input":"","output":"<think>It has no divisors.</think>Yes."}"#,
      #"{"instruction":"Is 11 prime?","input":"","output":"<think>It has no divisors.</think>Yes."}"#,
      #"{"instruction":"Translate","input":"hello","output":"<think>Easy.</think>Bonjour"}"#,
      #"{"instruction":"Translate","input":"goodbye","output":"<think>Easy.</think>Bonjour"}"#,
      #"{"question":"Translate into Russian: thank you","answer":"<think>Easy.</think>Спасибо большое"}"#,
      #"{"system":"Be brief.","instruction":"Is 7 prime?","output":"<think>It has no divisors.</think>Yes."}"#,
      #"{"instruction":"Is 7 prime?","input":"","output":"<think>It has no divisors.</think>Yes."}"#,
    ]
    let path = dir.file("c.jsonl", lines.joined(separator: "\n") + "\n")
    for byteRows in [true, false] {
      var scanner = CorpusScanner()
      scanner.usesByteRows = byteRows
      let report = try await scanner.scan(path: path, parallelism: 1)
      #expect(report.rows == 7 && report.shapes == ["prompt_response": 7], "bytes: \(byteRows)")
      // Only line 7, line 1 again, is a copy.
      #expect(report.detectors.first { $0.id == DetectorID.exactDuplicate }?.examples.map(\.line) == [7])
      #expect(report.detectors.first { $0.id == "script-drift" }?.rows == 0, "bytes: \(byteRows)")
    }
    let row = try CorpusRowParser().parse(JSONLLine(number: 6, offset: 0, bytes: Array(lines[5].utf8)[...]))
      .get()
    #expect(
      row.segments.map(\.text) == ["Be brief.", "Is 7 prime?", "<think>It has no divisors.</think>Yes."])
    #expect(row.segments.map(\.isModelText) == [false, false, true])
  }

  /// A designator written with a no-break space (raw or `\u00a0`) is the family of the one
  /// written with a space: `--repair` cuts it with the others instead of quarantining a row
  /// whose prefix shape seemed to occur once.
  @Test func repairCutsADesignatorWrittenWithANoBreakSpace() async throws {
    let dir = TempDir()
    var lines: [String] = []
    for i in 0..<12 {
      let tail = "pepper mixer: step \(i) of the sum is odd so we add \(i).\\n</think>\\n\\nAnswer \(i)."
      let designator = i == 4 ? #"B7\u00a0"# : i == 5 ? "B7\u{00A0}" : "B7 "
      lines.append(#"{"id":"r\#(i)","prompt":"Q\#(i)","response":"<think>\n"# + designator + tail + #""}"#)
    }
    let path = dir.file("c.jsonl", lines.joined(separator: "\n") + "\n")
    let (summary, _) = try await CorpusCleaner(repair: true).clean(
      path: path, cleanOut: dir.path("clean.jsonl"), quarantineOut: dir.path("q.jsonl"),
      auditOut: dir.path("audit.jsonl"))
    #expect(summary.repaired == 12 && summary.quarantined == 0)
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8)
    #expect(!clean.contains("pepper mixer"), "\(clean)")
  }

  /// A corpus's control characters (a terminal's escape sequences, bidirectional overrides)
  /// are written as escapes in the table and in Markdown: printed, they would clear the screen
  /// or reorder the report.
  @Test func reportsEscapeTheCorpussControlCharacters() async throws {
    let dir = TempDir()
    let nasty = "\u{1B}[2J\u{1B}[31m A4 spice combinator: \u{202E}x\u{7F}"
    let rows = (0..<40).map { i in messagesRow("r\(i)", "<think>\(nasty) the claim \(i).</think>No.") }
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    let report = try await CorpusScanner().scan(path: path)
    for rendered in [report.renderTable(), report.renderMarkdown()] {
      let bad = rendered.unicodeScalars.filter {
        ($0.value < 0x20 && $0 != "\n") || (0x7F..<0xA0).contains($0.value) || $0.value == 0x202E
      }
      #expect(bad.isEmpty, "\(bad.map(\.value))")
      #expect(rendered.contains("\\u{1B}[2J"))
    }
  }

  /// The table says high-confidence candidates are not in the flagged count only while they are
  /// not: accepted (a `discovered` detector), their rows are counted.
  @Test func theTableSaysWhetherDiscoveredRowsAreCounted() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl", generatedCorpus(500) { i in i % 5 == 0 ? "Q\(i % 9) mango ridge: " : nil })
    let report = try await CorpusScanner().scan(path: path)
    #expect(report.discovered.contains { $0.highConfidence })
    #expect(report.renderTable().contains("not in the count"))
    let accepted = RuleDetector(
      id: DetectorID.discovered, summary: "accepted", rules: report.discovered.map { $0.rule() })
    let again = try await CorpusScanner(configuration: ScanConfiguration(extraDetectors: [accepted])).scan(
      path: path)
    #expect(again.detectors.first { $0.id == DetectorID.discovered }?.rows == 100)
    #expect(!again.renderTable().contains("not in the count"))
  }

  /// A row holding a key it is read by twice is ambiguous (one reader takes the first value,
  /// another the last): it is a malformed line naming the key, on the byte path and the parsed
  /// one, and `clean` quarantines it; a repeated key nothing reads is left alone.
  @Test func aKeyReadTwiceIsAMalformedLine() async throws {
    let dir = TempDir()
    let rows = [
      #"{"prompt":"dk","response":"<think>\nB7 pepper mixer: dirty\n</think>\n\nA","response":"<think>\nclean\n</think>\n\nB"}"#,
      #"{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"<think>x</think>A","content":"B"}]}"#,
      #"{"id":"a","id":"b","text":"<think>ok</think>Fine."}"#,
      #"{"meta":1,"meta":2,"prompt":"Q","response":"<think>Okay, so.</think>Yes."}"#,
      #"{"messages":[{"role":"user","name":"x","name":"y","content":"Q"},{"role":"assistant","content":"<think>Okay.</think>Yes."}]}"#,
      // A list the layout does not read may repeat its keys; a content part that is read may not.
      #"{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"<think>Okay, then.</think>Sure."}],"prompt":[{"role":"user","role":"system","content":"x"}]}"#,
      #"{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":[{"type":"text","text":"LEAK","text":"<think>Okay.</think>Fine."}]}]}"#,
    ]
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    for byteRows in [true, false] {
      var scanner = CorpusScanner()
      scanner.usesByteRows = byteRows
      let report = try await scanner.scan(path: path, parallelism: 1)
      #expect(report.rows == 3 && report.malformedLines == 4, "bytes: \(byteRows)")
      #expect(
        report.issues.map(\.description).map { $0.contains("duplicate key") } == [true, true, true, true],
        "\(report.issues)")
      #expect(report.issues.map(\.line) == [1, 2, 3, 7])
      #expect(report.issues[1].description.contains("'messages.1.content'"), "\(report.issues[1])")
      #expect(report.issues[3].description.contains("'messages.1.content.0.text'"), "\(report.issues[3])")
    }
    let counts = try await defaultCleanCounts(path)
    #expect(counts.quarantined == 4 && counts.clean == 3)
  }

  /// A message's `tool_calls` (or `function_call`) is read (a turn without text is a tool call
  /// when it has one): given twice, the line is malformed as another key read twice is, on the
  /// byte path and the parsed one, whatever the message's content; given once, it is a row.
  @Test func aToolCallGivenTwiceIsAMalformedLine() async throws {
    let dir = TempDir()
    let user = #"{"role":"user","content":"Q"}"#
    let calls = #""tool_calls":[{"id":"a","type":"function"}]"#
    let rows = [
      #"{"messages":[\#(user),{"role":"assistant","content":null,\#(calls),\#(calls)}]}"#,
      #"{"messages":[\#(user),{"role":"assistant","content":"",\#(calls),\#(calls)}]}"#,
      #"{"messages":[\#(user),{"role":"assistant","content":"<think>Okay.</think>Sure.",\#(calls),\#(calls)}]}"#,
      #"{"conversations":[{"from":"human","value":"Q"},{"from":"gpt","value":"<think>Okay.</think>Yes.",\#(calls),\#(calls)}]}"#,
      #"{"messages":[\#(user),{"role":"assistant","content":null,"function_call":{"name":"f"},"function_call":{"name":"g"}}]}"#,
      #"{"messages":[\#(user),{"role":"assistant","content":null,\#(calls)}]}"#,
      #"{"messages":[\#(user),{"role":"assistant","content":"<think>Okay.</think>Sure.",\#(calls)}]}"#,
    ]
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    for byteRows in [true, false] {
      var scanner = CorpusScanner()
      scanner.usesByteRows = byteRows
      let report = try await scanner.scan(path: path, parallelism: 1)
      #expect(report.rows == 2 && report.malformedLines == 5, "bytes: \(byteRows)")
      try #require(report.issues.map(\.line) == [1, 2, 3, 4, 5], "bytes: \(byteRows)")
      #expect(
        report.issues.map(\.description).map { $0.contains("duplicate key") } == [
          true, true, true, true, true,
        ],
        "\(report.issues)")
      #expect(report.issues[0].description.contains("'messages.1.tool_calls'"), "\(report.issues[0])")
      #expect(report.issues[2].description.contains("'messages.1.tool_calls'"), "\(report.issues[2])")
      #expect(report.issues[3].description.contains("'conversations.1.tool_calls'"), "\(report.issues[3])")
      #expect(report.issues[4].description.contains("'messages.1.function_call'"), "\(report.issues[4])")
    }
    let counts = try await defaultCleanCounts(path)
    // The tool call without text is flagged too (think-structure: no reasoning).
    #expect(counts == (6, 1), "\(counts)")
  }

  /// A tag that ends in a separator is discovered with the first word after it (`km-# >>
  /// the`); its rule needs that word but `--repair` cuts only the tag, so the row's text stays
  /// whole.
  @Test func repairCutsATagBeforeItsSeparatorNotTheWordAfterIt() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl", generatedCorpus(400) { i in i % 4 == 0 ? "KM-\(i % 9) >> " : nil })
    let report = try await CorpusScanner().scan(path: path)
    let candidate = try #require(report.discovered.first { $0.shape == "km-# >> the" })
    #expect(candidate.highConfidence)
    let rule = candidate.rule()
    guard case .regex(let pattern) = rule.matcher else {
      Issue.record("a discovered opening is a regex rule")
      return
    }
    #expect(pattern.prefixMatch(in: "KM-7 >> the claim recites") == "KM-7 >> ")
    #expect(pattern.prefixMatch(in: "KM-7 >> a claim") == nil)
    let (summary, _) = try await CorpusCleaner(repair: true).clean(
      path: path, cleanOut: dir.path("clean.jsonl"), quarantineOut: dir.path("q.jsonl"),
      auditOut: dir.path("audit.jsonl"))
    #expect(summary.repaired >= 100)
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8)
    #expect(!clean.contains("KM-"))
    let audit = try String(contentsOfFile: dir.path("audit.jsonl"), encoding: .utf8).split(separator: "\n")
    #expect(audit.count == summary.repaired)
    for line in audit {
      let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      let removed = record?["removed"] as? [String] ?? []
      #expect(
        removed.count == 1 && removed.allSatisfy { $0.hasPrefix("KM-") && $0.hasSuffix(">> ") }, "\(line)")
    }
    // The tagged rows keep their first word.
    #expect(clean.components(separatedBy: "<think>\\nthe claim").count > 1)
  }

  /// A tag that ends in a mark (`KM-7 >> `, `(draft v3) `) makes a family whatever word
  /// follows it, counted alike on bytes and through `RowContext`; Markdown openings and
  /// enumerations are never confident.
  @Test func findsTagFamiliesWhateverWordFollows() async throws {
    let dir = TempDir()
    let natural = ["**Analysis** the ", "> Note the ", "(1) the ", "- First, ", "**Step 2:** we "]
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1000) { i in
        i % 5 == 0
          ? "KM-\(i % 9) >> "
          : i % 5 == 1 ? "(draft v\(i % 7)) " : i % 5 == 2 ? natural[i % natural.count] : nil
      })
    let reports = try await scanBothWays(path)
    #expect(reports[0].discovered == reports[1].discovered)
    let found = reports[0].discovered
    #expect(
      found.first { $0.shape == "km-# >> …" }.map { ($0.count, $0.highConfidence) } ?? (0, false) == (
        200, true
      ))
    #expect(
      found.first { $0.shape == "(draft v#) …" }.map { ($0.count, $0.highConfidence) } ?? (0, false) == (
        200, true
      ))
    for shape in ["**analysis** …", "> …", "(#) …", "**step #:** …"] {
      #expect(found.first { $0.shape == shape }?.highConfidence != true, "\(shape)")
    }
    let rule = try #require(found.first { $0.shape == "km-# >> …" }).rule()
    guard case .regex(let pattern) = rule.matcher else { return }
    #expect(pattern.prefixMatch(in: "KM-7 >> we need the ratio: 5") == "KM-7 >> ")
  }

  /// A tag that opens with a mark and ends at a number (`@persona3`, `/gen/7`, `🔧 v2`) is a
  /// family whatever words follow; its rule flags the rows it was counted from and cuts only
  /// the tag.
  @Test func findsTagFamiliesThatOpenWithAMarkAndEndAtANumber() async throws {
    let dir = TempDir()
    let tags = ["@persona#", "/gen/#", "🔧 v#"]
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1500) { i in
        i % 5 < tags.count ? tags[i % 5].replacingOccurrences(of: "#", with: "\(i % 9)") + " " : nil
      })
    let reports = try await scanBothWays(path)
    #expect(reports[0].discovered == reports[1].discovered)
    for tag in tags {
      let family = try #require(reports[0].discovered.first { $0.shape == tag + " …" }, "\(tag)")
      #expect(family.count == 300, "\(tag)")
      #expect(try await acceptedRows(family.rule(), in: path) == 300, "\(tag)")
    }
    // Words after the tag are the row's text: the rule cuts the tag and its blanks only.
    let rule = try #require(reports[0].discovered.first { $0.shape == "/gen/# …" }).rule()
    #expect(rule.match("/gen/4 the claim recites"[...]) == "/gen/4 ")
    #expect(rule.match("/gen/7beta test"[...]) == nil)
    #expect(reports[0].discovered.first { $0.shape == "@persona# …" }?.highConfidence == true)
    // A lead of marks only is an edge: the word after it decides (an emoji, `|` and `---` before
    // a numbered tag are scaffolding; `>` and `-` before natural words are prose).
    #expect(reports[0].discovered.first { $0.shape == "🔧 v# …" }?.highConfidence == true)
    for shape in ["🔧 v# …", "| lens # |", "--- sample # ---"] {
      #expect(Discovery.unnaturalness(shape, kind: .opening) == 0.8, "\(shape)")
    }
    // After an edge a natural word is listed, never confident (`🤖 okay, so` stamped on rows).
    for shape in ["> note the", "- first, the", "🤖 okay, so"] {
      #expect(Discovery.unnaturalness(shape, kind: .opening) == 0.3, "\(shape)")
    }
    #expect(Discovery.unnaturalness("okay, so the", kind: .opening) < 0.3)
    #expect(Discovery.unnaturalness("- # apples", kind: .opening) == 0.3)
    #expect(Discovery.unnaturalness("> …", kind: .opening) == 0.3)
  }

  @Test func acceptedCandidatesBecomeRules() throws {
    let candidate = DiscoveryCandidate(
      kind: .opening, shape: "blend matrix #", count: 10, share: 0.1, unnaturalness: 0.8, score: 0.08,
      highConfidence: true, exampleLines: [1], example: "Blend matrix 7 says ")
    let rule = candidate.rule()
    #expect(rule.scope == .thinkStart)
    #expect(rule.match("Blend matrix 12 says: the claim"[...]) == "Blend matrix 12 says: ")
    #expect(rule.match("Okay, blend matrix 3"[...]) == nil)
    let yaml = Ruleset.yaml(for: [candidate])
    let config = try Ruleset.parse(yaml, file: "accepted.yaml")
    #expect(config.detectors.contains { $0.id == rule.id })
    // Shapes that make the same id get numbered ids; no candidates make a loadable file.
    var other = candidate
    other.kind = .repeatedLine
    let both = try Ruleset.parse(Ruleset.yaml(for: [candidate, other]), file: "both.yaml")
    #expect(
      both.detectors.contains { $0.id == rule.id } && both.detectors.contains { $0.id == rule.id + "-2" })
    let none = try Ruleset.parse(Ruleset.yaml(for: []), file: "none.yaml")
    #expect(none.detectors.map(\.id) == ScanConfiguration().detectors.map(\.id))
    // Listed candidates are written commented out: the file loads with the accepted rules
    // alone, and with a listed one too once its marks are removed.
    var listed = candidate
    listed.shape = "tone check #"
    listed.highConfidence = false
    let listedID = listed.rule().id
    let reviewed = Ruleset.yaml(for: [candidate], listed: [listed])
    let loaded = try Ruleset.parse(reviewed, file: "reviewed.yaml")
    #expect(
      loaded.detectors.contains { $0.id == rule.id } && !loaded.detectors.contains { $0.id == listedID })
    #expect(reviewed.contains("  # - id: \(listedID)\n"))
    let uncommented = reviewed.split(separator: "\n").filter { !$0.hasPrefix("  # Listed") }
      .map { $0.hasPrefix("  # ") ? "  " + $0.dropFirst(4) : $0 }.joined(separator: "\n")
    let accepted = try Ruleset.parse(uncommented, file: "accepted.yaml")
    #expect(
      accepted.detectors.contains { $0.id == listedID } && accepted.detectors.contains { $0.id == rule.id })
    // Only listed ones: `rules:` has nothing under it, which loads as no rules.
    let onlyListed = try Ruleset.parse(Ruleset.yaml(for: [], listed: [listed]), file: "listed.yaml")
    #expect(onlyListed.detectors.map(\.id) == ScanConfiguration().detectors.map(\.id))
    // A shape holding control characters, quotes and a backslash reads back to the same rule.
    var odd = candidate
    odd.shape = "\u{1B}[#j \"blend\" \\ matrix \u{202E}#\u{2028}x"
    let oddRule = odd.rule()
    let written = Ruleset.yaml(for: [odd])
    #expect(!written.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E || $0.value == 0x2028 })
    // Commented out too, a line separator (a line break to YAML) is written as an escape.
    let listedOdd = Ruleset.yaml(for: [], listed: [odd])
    #expect(!listedOdd.unicodeScalars.contains { $0.value == 0x2028 })
    #expect(
      try Ruleset.parse(listedOdd, file: "listed-odd.yaml").detectors.count
        == ScanConfiguration().detectors.count)
    let read = try Ruleset.parse(written, file: "odd.yaml")
    let back = try #require(read.detectors.first { $0.id == oddRule.id } as? RuleDetector)
    guard case .regex(let p) = back.rules.first?.matcher, case .regex(let q) = oddRule.matcher else {
      Issue.record("not regex rules")
      return
    }
    #expect(p.source == q.source)
    #expect(back.rules.first?.summary.contains("\u{1B}[#j \"blend\"") == true)
  }
}

/// `require_think` left to the corpus: a corpus without reasoning is not all `missing`, one
/// with reasoning in its first rows flags a row without.
@Suite struct ReasoningRequirementTests {
  @Test func aCorpusWithoutReasoningIsNotMissingAndStaysClean() async throws {
    let dir = TempDir()
    let lines = (0..<8).map { i in
      #"{"id": "r\#(i)", "messages": [{"role": "user", "content": "Q\#(i)?"}, {"role": "assistant", "content": "The answer is \#(i * 7)."}]}"#
    }
    let path = dir.file("instruct.jsonl", lines.joined(separator: "\n") + "\n")
    let report = try await CorpusScanner().scan(path: path, parallelism: 2)
    #expect(report.detectors.first { $0.id == "think-structure" }?.rows == 0)
    #expect(report.flaggedRows == 0)
    let note = try #require(report.notes?.first)
    #expect(note.contains("no reasoning block in the first 8 rows") && note.contains("require_think: true"))
    #expect(report.renderTable().contains(note) && report.renderMarkdown().contains("## Notes"))
    // The same decision in `clean`, and a ruleset that asks for reasoning flags every row.
    let (summary, _) = try await CorpusCleaner().clean(
      path: path, cleanOut: dir.path("clean.jsonl"), quarantineOut: dir.path("q.jsonl"))
    #expect(summary.clean == 8 && summary.quarantined == 0)
    let required = try Ruleset.parse("detectors:\n  require_think: true\n")
    let strict = try await CorpusScanner(configuration: required).scan(path: path, parallelism: 1)
    #expect(strict.detectors.first { $0.id == "think-structure" }?.rows == 8 && strict.notes == nil)
  }

  @Test func aCorpusWithReasoningFlagsARowWithout() async throws {
    let dir = TempDir()
    var lines = (0..<3).map { messagesRow("t\($0)", "<think>Okay, so case \($0).</think>Yes.") }
    lines += (0..<9).map { messagesRow("bare\($0)", "Yes, without reasoning, case \($0).") }
    let path = dir.file("reasoning.jsonl", lines.joined(separator: "\n") + "\n")
    let whole = try await CorpusScanner().scan(path: path, parallelism: 1)
    let think = try #require(whole.detectors.first { $0.id == "think-structure" })
    #expect(think.rows == 9 && think.examples.first?.line == 4 && whole.notes == nil)
    // Shards decide from the file's first rows, not their own: the last shard holds no
    // reasoning at all and still flags every row, and the merge equals the whole scan.
    var shards: [ScanReport] = []
    for k in 1...3 {
      shards.append(try await CorpusScanner().scan(path: path, shard: (k, 3), parallelism: 1))
    }
    let last = try #require(shards.last)
    #expect(last.rows > 0 && last.openingHistogram.isEmpty)
    #expect(last.detectors.first { $0.id == "think-structure" }?.rows == last.rows)
    let merged = try ShardMerger.merge(shards, configuration: ScanConfiguration())
    #expect(merged.detectors.first { $0.id == "think-structure" }?.rows == 9)
  }

  /// Only the first 1,000 lines decide: reasoning that starts after them does not make the
  /// rows before it `missing`; a setting decided is apart from the same one given.
  @Test func theFirstThousandLinesDecide() async throws {
    let dir = TempDir()
    var lines = (0..<ScanConfiguration.reasoningSampleRows).map {
      messagesRow("b\($0)", "Plain answer \($0).")
    }
    lines.append(messagesRow("late", "<think>Okay, so late.</think>Yes."))
    let path = dir.file("late.jsonl", lines.joined(separator: "\n") + "\n")
    let report = try await CorpusScanner().scan(path: path, parallelism: 1)
    #expect(report.detectors.first { $0.id == "think-structure" }?.rows == 0)
    #expect(report.notes?.first?.contains("first 1000 rows") == true)
    let config = ScanConfiguration()
    #expect(config.fingerprint.contains("require_think:auto"))
    let decided = try config.decided(forCorpusAt: path)
    #expect(decided.fingerprint.contains("require_think:false"))
    #expect(decided.fingerprint != (try Ruleset.parse("detectors:\n  require_think: false\n")).fingerprint)
    // Malformed lines count to the limit: a file of them is not read to its end to decide.
    let junk = dir.file(
      "junk.jsonl",
      String(repeating: "not json\n", count: ScanConfiguration.reasoningSampleRows)
        + messagesRow("late", "<think>Okay.</think>Yes.") + "\n")
    let fromJunk = try config.decided(forCorpusAt: junk)
    #expect(fromJunk.detectors.compactMap { $0 as? ThinkStructureDetector }.first?.requireThink == false)
  }
}

@Suite struct CleanTests {
  /// A quarantine line is one JSON object: the reasons with any characters in their evidence,
  /// the id, and the original row verbatim (or base64 for a line that is not JSON).
  @Test func quarantineLinesAreJSONWithTheRowVerbatim() throws {
    let evidence = "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} esc \u{1B} é 中 ｜ / end"
    let reasons = [
      Finding(detector: "producer-note", evidence: evidence),
      Finding(detector: "exact-duplicate", evidence: "same as line 3"),
    ]
    let row = Array(#"{"id":"r\"1","text":"a\u00e9 \/ b"}"#.utf8)
    let line = CorpusCleaner.quarantineLine(line: 7, id: "r\"1", reasons: reasons, raw: row[...], json: true)
    #expect(line.suffix(row.count + 1).dropLast().elementsEqual(row))  // the row's bytes, unchanged
    let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
    #expect(object["line"] as? Int == 7)
    #expect(object["id"] as? String == "r\"1")
    let parsed = try #require(object["reasons"] as? [[String: String]])
    #expect(parsed.map { $0["detector"] } == reasons.map(\.detector))
    #expect(parsed.map { $0["evidence"] } == reasons.map(\.evidence))
    #expect((object["row"] as? [String: String])?["text"] == "aé / b")
    #expect(!line.contains(0x0A))
    // Not JSON (invalid UTF-8 here): base64 of the bytes, no id, no row.
    let bad: [UInt8] = [0x7B, 0xFF, 0xFE, 0x0D]
    let badLine = CorpusCleaner.quarantineLine(
      line: 9, id: nil, reasons: [Finding(detector: "malformed-line", evidence: "invalid UTF-8")],
      raw: bad[...],
      json: false)
    let badObject = try #require(try JSONSerialization.jsonObject(with: Data(badLine)) as? [String: Any])
    #expect(badObject["raw_base64"] as? String == Data(bad).base64EncodedString())
    #expect(badObject["id"] == nil && badObject["row"] == nil)
    #expect(Array(badObject.keys).sorted() == ["line", "raw_base64", "reasons"])
  }

  func lines(_ path: String) throws -> [[UInt8]] {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    if bytes.last == 0x0A { bytes.removeLast() }
    if bytes.isEmpty { return [] }
    return bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
  }

  /// Cleans `lines` with `--repair` (discovery off) into `clean.jsonl`, `q.jsonl` and
  /// `audit.jsonl` of `dir`; returns the summary and the settings used.
  func repairClean(_ lines: [String], in dir: TempDir, format: ReasoningFormat? = nil) async throws -> (
    CleanSummary, ScanConfiguration
  ) {
    let path = dir.file("c.jsonl", lines.joined(separator: "\n") + "\n")
    var config = ScanConfiguration()
    config.discovery = false
    if let format { config.format = format }
    let (summary, _) = try await CorpusCleaner(configuration: config, repair: true).clean(
      path: path, cleanOut: dir.path("clean.jsonl"), quarantineOut: dir.path("q.jsonl"),
      auditOut: dir.path("audit.jsonl"))
    return (summary, config)
  }

  @Test func everyLineLandsInExactlyOneOutput() async throws {
    let dir = TempDir()
    var corpus: [[UInt8]] = []
    for i in 0..<40 {
      corpus.append(
        Array(messagesRow("ok-\(i)", "<think>Okay, so row \(i) is fine.</think>Answer \(i).").utf8))
    }
    corpus.append(Array(messagesRow("leak", "<think>A4 spice combinator: the claim.</think>ok").utf8))
    corpus.append(Array(messagesRow("ok-3", "<think>Okay, so row 3 is fine.</think>Answer 3.").utf8))  // duplicate of ok-3
    corpus.append(Array("{\"id\":\"broken\",\"messages\":[".utf8))
    corpus.append(
      Array("{\"id\":\"bad-utf8\",\"prompt\":\"q\",\"response\":\"caf".utf8) + [0xE9] + Array("\"}".utf8))
    corpus.append(Array("{\"id\":\"nofield\",\"prompt\":\"q\"}".utf8))
    corpus.append([])
    // A 50 MB row: valid JSON with an enormous (clean) response.
    var huge: [UInt8] = Array("{\"id\":\"huge\",\"prompt\":\"q\",\"response\":\"<think>Okay, so".utf8)
    var k = 0
    while huge.count < 50_000_000 {
      huge += Array(" step \(k) adds \(k &* 7919 % 10007) to the running total.".utf8)
      k += 1
    }
    huge += Array("</think>done\"}".utf8)
    corpus.append(huge)
    // Over the 1 MiB limit too, each copied to quarantine in pieces: a clean row ending in
    // `\r` (kept in `raw_base64`), and a not-JSON line of a length that is no multiple of 3
    // (so the last base64 piece is padded), next to each other.
    var crlf: [UInt8] = Array("{\"id\":\"crlf\",\"prompt\":\"q\",\"response\":\"<think>Okay, so".utf8)
    k = 0
    while crlf.count < 1_200_000 {
      crlf += Array(" line \(k) of the second long row is fine.".utf8)
      k += 1
    }
    crlf += Array("</think>fine\"}\r".utf8)
    corpus.append(crlf)
    corpus.append(Array("not json ".utf8) + (0..<(3 << 20) + 2).map { UInt8(ascii: "a") + UInt8($0 % 26) })
    let path = dir.file("corpus.jsonl", bytes: corpus.joined(separator: [0x0A]) + [0x0A])
    #expect(huge.count > 50_000_000 && (corpus.last!.count % 3) != 0)

    for maxLine in [64 << 20, 1 << 20] {
      var config = ScanConfiguration()
      config.maxLineBytes = maxLine
      let cleanPath = dir.path("clean-\(maxLine).jsonl")
      let quarantinePath = dir.path("quarantine-\(maxLine).jsonl")
      let (summary, _) = try await CorpusCleaner(configuration: config).clean(
        path: path, cleanOut: cleanPath, quarantineOut: quarantinePath)
      let clean = try lines(cleanPath)
      let quarantine = try lines(quarantinePath)
      #expect(summary.lines == corpus.count)
      #expect(clean.count + quarantine.count == corpus.count)
      #expect(summary.clean == clean.count && summary.quarantined == quarantine.count)
      // Clean lines are byte-identical input lines, in order.
      var cursor = 0
      for line in clean {
        while cursor < corpus.count && corpus[cursor] != line { cursor += 1 }
        #expect(cursor < corpus.count, "a clean line (\(line.count) bytes) is not an input line")
        cursor += 1
      }
      let reasons = try quarantine.map { try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any] }
      func entry(_ line: Int) -> [String: Any]? { reasons.first { $0["line"] as? Int == line } }
      #expect((entry(41)?["reasons"] as? [[String: Any]])?.first?["detector"] as? String == "scaffold-prefix")
      #expect((entry(42)?["reasons"] as? [[String: Any]])?.first?["detector"] as? String == "exact-duplicate")
      #expect(entry(43)?["raw_base64"] as? String == Data(corpus[42]).base64EncodedString())
      #expect(entry(44)?["raw_base64"] as? String == Data(corpus[43]).base64EncodedString())
      #expect((entry(45)?["row"] as? [String: Any])?["id"] as? String == "nofield")
      #expect(entry(46) != nil, "blank line")
      #expect(entry(4) == nil, "first occurrence of a duplicate stays clean")
      // Every line is in one output only: clean, or quarantined once under its number.
      let numbers = reasons.compactMap { $0["line"] as? Int }
      #expect(Set(numbers).count == quarantine.count)
      #expect(numbers.allSatisfy { (1...corpus.count).contains($0) })
      // The long not-JSON line goes to quarantine whole, its bytes exactly, at either limit.
      #expect(
        (entry(49)?["raw_base64"] as? String).map { Data(base64Encoded: $0) == Data(corpus[48]) } == true)
      if maxLine == 1 << 20 {
        #expect(summary.malformed == 6)
        // Lines over the limit: quarantined as too long, with every byte (a `\r` included).
        for n in [47, 48, 49] {
          let reason = (entry(n)?["reasons"] as? [[String: Any]])?.first
          #expect(reason?["detector"] as? String == DetectorID.malformed)
          #expect(
            (reason?["evidence"] as? String)?.contains("line too long (\(corpus[n - 1].count) bytes)") == true
          )
          #expect(
            (entry(n)?["raw_base64"] as? String).map { Data(base64Encoded: $0) == Data(corpus[n - 1]) }
              == true,
            "line \(n) (\(corpus[n - 1].count) bytes) is not in quarantine as it was")
        }
      } else {
        #expect(summary.malformed == 4)
        #expect(clean.suffix(2).map(\.count) == [corpus[46].count, corpus[47].count])
        #expect(clean.suffix(2) == [corpus[46], corpus[47]])
      }
    }
  }

  @Test func repairStripsPrefixesAndAudits() async throws {
    let dir = TempDir()
    let input = [
      messagesRow("a", "<think>\nA4 spice combinator: Anticipation needs every element.\n</think>\n\nNo."),
      messagesRow("b", "<think>Okay, so fine.</think>Yes."),
      messagesRow("c", "<think>A4 spice combinator: duplicate of 3886 and more.</think>Yes."),
      // The prefix recurs (three rows cut): scaffolding, not a one-off label.
      messagesRow("d", "<think>A1 spice combinator: The housing is claimed.</think>Yes."),
      messagesRow("e", "<think>A7 spice combinator: The latch is claimed.</think>No."),
    ]
    let (summary, _) = try await repairClean(input, in: dir)
    #expect(summary.repaired == 3)
    #expect(summary.clean == 4 && summary.quarantined == 1)
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8).split(separator: "\n")
    let repaired = try JSONSerialization.jsonObject(with: Data(clean[0].utf8)) as! [String: Any]
    let content = ((repaired["messages"] as! [[String: Any]])[1]["content"] as! String)
    #expect(content == "<think>\nAnticipation needs every element.\n</think>\n\nNo.")
    #expect(String(clean[1]) == input[1])
    let audit = try String(contentsOfFile: dir.path("audit.jsonl"), encoding: .utf8)
    #expect(audit.contains("\"removed\":[\"A4 spice combinator: \"]"))
    #expect(audit.contains("\"line\":1"))
    #expect(audit.contains("\"rewritten\":false"))
  }

  /// A repaired row goes to the clean output only when no detector flags it any more: stacked
  /// prefixes are stripped in turn, a block left empty stays in quarantine.
  @Test func repairedRowsPassEveryDetector() async throws {
    let dir = TempDir()
    let input = [
      messagesRow(
        "stacked", "<think>\nPersona: Persona: doubled label, then the real reasoning.\n</think>\n\nok"),
      messagesRow("emptied", "<think>\nPersona: \n</think>\n\nanswer"),
      messagesRow("tagged", "<think>[variant 3] Persona: the claim reads on the art.</think>Yes."),
      // Each prefix recurs (cut from three rows or more).
      messagesRow("variant-5", "<think>[variant 5] The housing is claimed.</think>Yes."),
      messagesRow("variant-8", "<think>[variant 8] The latch is claimed.</think>No."),
      messagesRow("persona", "<think>Persona: the spring is prior art.</think>No."),
    ]
    let (summary, config) = try await repairClean(input, in: dir)
    #expect(summary.repaired == 5 && summary.clean == 5 && summary.quarantined == 1)
    let quarantined = try String(contentsOfFile: dir.path("q.jsonl"), encoding: .utf8)
    #expect(quarantined.contains("\"id\":\"emptied\""))
    // The clean output passes a scan.
    let rescan = try await CorpusScanner(configuration: config).scan(path: dir.path("clean.jsonl"))
    #expect(rescan.rows == 5 && rescan.flaggedRows == 0, "\(rescan.detectors.filter { $0.rows > 0 })")
    let audit = try String(contentsOfFile: dir.path("audit.jsonl"), encoding: .utf8)
    #expect(audit.contains("\"removed\":[\"Persona: \",\"Persona: \"]"))
  }

  /// A repair that makes a row equal another clean row quarantines the repaired copy: rows that
  /// were clean as they are stay in the clean output.
  @Test func repairDoesNotMakeDuplicatesInTheCleanOutput() async throws {
    let dir = TempDir()
    let input = [
      messagesRow("repaired-first", "<think>\nPersona: Three plus three is six.\n</think>\n\n6"),
      messagesRow("original", "<think>\nThree plus three is six.\n</think>\n\n6"),
      messagesRow("other", "<think>Okay, so seven.</think>7"),
      messagesRow("repaired-again", "<think>\nVariant B: Three plus three is six.\n</think>\n\n6"),
      messagesRow("twin-a", "<think>A4 spice combinator: nine.</think>9"),
      messagesRow("twin-b", "<think>B7 citrus lift: nine.</think>9"),
    ]
    // Each prefix recurs, so it is cut (rows unlike any other).
    let fillers = ["Persona: ", "Variant B: ", "A4 spice combinator: ", "B7 citrus lift: "].flatMap {
      prefix in
      (1...2).map { k in
        messagesRow("filler-\(prefix)\(k)", "<think>\(prefix)filler \(k) about \(prefix.count).</think>ok")
      }
    }
    let (summary, config) = try await repairClean(input + fillers, in: dir)
    #expect(summary.lines == 14 && summary.clean + summary.quarantined == 14)
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8)
    let quarantine = try String(contentsOfFile: dir.path("q.jsonl"), encoding: .utf8)
    // The row that was already clean stays, byte for byte; the repaired copies of it go, even
    // the one before it. Between two repaired rows the first stays.
    #expect(
      clean.contains(input[1] + "\n") && clean.contains("\"other\"") && clean.contains("\"twin-a\""))
    for id in ["repaired-first", "repaired-again", "twin-b"] {
      #expect(quarantine.contains("\"id\":\"\(id)\""), "\(id)")
    }
    #expect(!quarantine.contains("\"id\":\"original\""))
    #expect(
      quarantine.contains("same as line 2 after repair") && quarantine.contains("same as line 5 after repair")
    )
    let rescan = try await CorpusScanner(configuration: config).scan(path: dir.path("clean.jsonl"))
    #expect(rescan.flaggedRows == 0)
  }

  /// A prefix that a rule takes for scaffolding but that occurs once (`K9 unit: `, `dose=5mg `)
  /// is more likely prose: its row is quarantined whole, never cut, while the recurring
  /// family in the same corpus is cut.
  @Test func repairCutsOnlyPrefixesThatRecur() async throws {
    let dir = TempDir()
    var input = (0..<6).map { i in
      messagesRow(
        "leak-\(i)", "<think>\nA\(i) spice combinator: reasoning number \(i) about the claim.\n</think>\n\nok"
      )
    }
    input.append(messagesRow("k9", "<think>K9 unit: the handler and the dog search the car.</think>ok"))
    input.append(messagesRow("dose", "<think>dose=5mg so the solution is safe.</think>ok"))
    input += (0..<4).map { messagesRow("fine-\($0)", "<think>Okay, so case \($0) is fine.</think>ok") }
    let (summary, _) = try await repairClean(input, in: dir)
    #expect(summary.repaired == 6 && summary.clean == 10 && summary.quarantined == 2)
    let quarantined = try String(contentsOfFile: dir.path("q.jsonl"), encoding: .utf8)
    #expect(quarantined.contains("K9 unit: the handler") && quarantined.contains("dose=5mg so"))
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8)
    #expect(!clean.contains("the handler and") && !clean.contains("so the solution"))
  }

  /// Outputs are checked before any work: a directory where an output goes, or one path named
  /// for two outputs, fails and leaves the old files as they were.
  @Test func cleanRefusesOutputsItCouldNotCommitTogether() async throws {
    let dir = TempDir()
    let path = dir.file("c.jsonl", messagesRow("a", "<think>A4 spice combinator: x.</think>y") + "\n")
    let old = dir.file("clean.jsonl", "OLD\n")
    try FileManager.default.createDirectory(atPath: dir.path("q.jsonl"), withIntermediateDirectories: false)
    await #expect(throws: EvalCoreError.self) {
      _ = try await CorpusCleaner().clean(path: path, cleanOut: old, quarantineOut: dir.path("q.jsonl"))
    }
    await #expect(throws: EvalCoreError.self) {
      _ = try await CorpusCleaner().clean(path: path, cleanOut: old, quarantineOut: old)
    }
    #expect(try String(contentsOfFile: old, encoding: .utf8) == "OLD\n")
  }

  /// A pipe has no size to split into byte ranges and cannot be read twice: refused, not read
  /// as an empty corpus that passes.
  @Test func pipesAreRefusedNotReadAsEmpty() async throws {
    let dir = TempDir()
    let fifo = dir.path("pipe.jsonl")
    #expect(mkfifo(fifo, 0o600) == 0)
    await #expect(throws: EvalCoreError.self) { _ = try await CorpusScanner().scan(path: fifo) }
    await #expect(throws: EvalCoreError.self) {
      _ = try await CorpusCleaner().clean(path: fifo, cleanOut: dir.path("c"), quarantineOut: dir.path("q"))
    }
    #expect(!FileManager.default.fileExists(atPath: dir.path("c")))
  }

  /// A byte-order mark that opens the file (as some Windows tools write) is not part of the
  /// row: it parses, stays in the clean output byte for byte, and a quarantined row is still
  /// valid JSON. One that opens a later line (files joined with `cat`) makes the line
  /// malformed, on the byte path and through `RowContext` alike: JSON loaders reject it there,
  /// so a clean output that kept it would not load; the line is quarantined whole, saying why.
  @Test func aByteOrderMarkOpeningTheFileIsNotMalformedOneLaterIs() async throws {
    let dir = TempDir()
    let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    let first = bom + Array(messagesRow("a", "<think>Okay, so fine.</think>Yes.").utf8)
    let leaky = bom + Array(messagesRow("b", "<think>A4 spice combinator: x.</think>y").utf8)
    let second = Array(messagesRow("c", "<think>Okay, so also fine.</think>No.").utf8)
    for (k, lines) in [[first], [leaky], [second, first]].enumerated() {
      let line = lines.joined(separator: [0x0A])
      let path = dir.file("c\(k).jsonl", bytes: line + [0x0A])
      for report in try await scanBothWays(path) {
        #expect(report.malformedLines == (k == 2 ? 1 : 0) && report.rows == (k == 2 ? 1 : lines.count))
        if k == 2 {
          #expect(
            report.issues.first?.description.contains("a byte-order mark (EF BB BF) opens the line") == true)
        }
      }
      let (_, _) = try await CorpusCleaner().clean(
        path: path, cleanOut: dir.path("clean\(k)"), quarantineOut: dir.path("q\(k)"))
      let clean = try Data(contentsOf: URL(fileURLWithPath: dir.path("clean\(k)")))
      let quarantine = try Data(contentsOf: URL(fileURLWithPath: dir.path("q\(k)")))
      let object = try? JSONSerialization.jsonObject(with: quarantine.dropLast()) as? [String: Any]
      switch k {
      case 0: #expect([UInt8](clean) == line + [0x0A])
      case 1: #expect((object?["row"] as? [String: Any])?["id"] as? String == "b")
      default:
        #expect([UInt8](clean) == second + [0x0A])
        #expect(
          (object?["raw_base64"] as? String).flatMap { Data(base64Encoded: $0) }.map([UInt8].init) == first)
      }
    }
  }

  /// Shard bounds are computed without overflow, and a shard outside `1...n` is refused.
  @Test func shardArithmeticHoldsForAnyCount() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      (0..<50).map { messagesRow("r\($0)", "<think>Okay.</think>\($0)") }.joined(separator: "\n") + "\n")
    let size = try JSONLReader(path: path).fileSize()
    #expect(CorpusScanner.shardRange(size: size, k: Int.max, n: Int.max) == (size - 1)..<size)
    #expect(CorpusScanner.shardRange(size: Int.max, k: 1, n: 2) == 0..<(Int.max / 2))
    var rows = 0
    for k in 1...3 { rows += try await CorpusScanner().scan(path: path, shard: (k, 3)).rows }
    #expect(rows == 50)
    _ = try await CorpusScanner().scan(path: path, shard: (Int.max, Int.max))
    await #expect(throws: LeakScannerError.self) {
      _ = try await CorpusScanner().scan(path: path, shard: (3, 2))
    }
    await #expect(throws: LeakScannerError.self) {
      _ = try await CorpusScanner().scan(path: path, shard: (0, 2))
    }
  }

  /// A blank line is not a row: the scan flags it, as `clean` quarantines it, so a scan that
  /// passes means `clean` moves nothing.
  @Test func blankLinesAreFlaggedByTheScanAsCleanQuarantinesThem() async throws {
    let dir = TempDir()
    let rows = (0..<3).map {
      messagesRow("r\($0)", "<think>\nOkay, so case \($0) is fine.\n</think>\n\nA \($0).")
    }
    let path = dir.file("c.jsonl", rows[0] + "\n  \n" + rows[1] + "\n\n" + rows[2] + "\n")
    var config = ScanConfiguration()
    config.discovery = false
    let report = try await CorpusScanner(configuration: config).scan(path: path)
    let blank = report.detectors.first { $0.id == DetectorID.blankLine }
    #expect(blank?.rows == 2 && blank?.examples.map(\.line) == [2, 4])
    #expect(report.flaggedRows == 2 && report.hasFindings)
    let (summary, _) = try await CorpusCleaner(configuration: config).clean(
      path: path, cleanOut: dir.path("clean.jsonl"), quarantineOut: dir.path("q.jsonl"))
    #expect(summary.lines == report.lines && summary.quarantined == 2 && summary.clean == 3)
  }

  /// Scaffolding on a line of its own is both a prefix and a discovered repeated line: the
  /// repair strips it, and the discovered line, gone from the repaired row, does not block it.
  @Test func repairIsNotBlockedByTheDiscoveredLineItRemoves() async throws {
    let dir = TempDir()
    let rows = (0..<100).map { i in
      messagesRow(
        "r\(i)",
        "<think>\nA\(i % 5) spice combinator:\nCase \(i) needs \(i * 3) checks of the claim.\n</think>\n\nA \(i)."
      )
    }
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    let cleaner = CorpusCleaner(configuration: ScanConfiguration(), repair: true)
    let (summary, report) = try await cleaner.clean(
      path: path, cleanOut: dir.path("clean.jsonl"), quarantineOut: dir.path("q.jsonl"),
      auditOut: dir.path("audit.jsonl"))
    #expect(report.discovered.contains { $0.kind == .repeatedLine && $0.highConfidence })
    #expect(summary.repaired == 100 && summary.quarantined == 0)
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8)
    #expect(!clean.contains("spice combinator"))
  }

  /// A repaired line is the input line with the prefix's bytes cut out: key order, number
  /// forms, escapes and the other fields stay as they were.
  @Test func repairCutsThePrefixOutOfTheLineInPlace() async throws {
    let dir = TempDir()
    let prefix = #"<think>\nA4 spice combinator: "#
    let rest = #"Caf\u00e9 claims 1.0 \/ 2 hold.\n</think>\n\nNo."#
    let lines = [
      #"{"zeta": 1.0, "id": "r1", "messages": [{"role": "user", "content": "Q\u00e9?"}, {"role": "assistant", "content": ""#
        + prefix + rest + #""}], "extra": [1, 2.50]}"#,
      // Prefilled (no opening tag in the text), a non-ASCII prefix escaped as \uXXXX.
      #"{"prompt":"q","response":"A4 \u00e9pice combinator: text.</think>answer","id":"r2"}"#,
    ]
    // Both prefixes recur, so they are cut.
    let fillers = (1...2).flatMap { k in
      [
        #"{"id":"f\#(k)","messages":[{"role":"user","content":"q"},{"role":"assistant","content":"<think>\nA4 spice combinator: filler \#(k).\n</think>\n\nNo."}]}"#,
        #"{"prompt":"q","response":"A4 \u00e9pice combinator: filler \#(k).</think>answer","id":"g\#(k)"}"#,
      ]
    }
    var prefilled = ScanConfiguration().format
    prefilled.opening = .prefilled
    let (summary, _) = try await repairClean(lines + fillers, in: dir, format: prefilled)
    let quarantined = try String(contentsOfFile: dir.path("q.jsonl"), encoding: .utf8)
    #expect(summary.repaired == 6, "\(quarantined)")
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8).split(separator: "\n")
    #expect(clean.count == 6)
    #expect(String(clean[0]) == lines[0].replacingOccurrences(of: "A4 spice combinator: ", with: ""))
    #expect(String(clean[1]) == lines[1].replacingOccurrences(of: #"A4 \u00e9pice combinator: "#, with: ""))
    let audit = try String(contentsOfFile: dir.path("audit.jsonl"), encoding: .utf8)
    #expect(!audit.contains("\"rewritten\":true"))
  }
}

extension CleanTests {
  /// Repairs `lines` (each with the prefix `A4 spice combinator: `) and `shadowed` (the prefix
  /// also opening a field that is not read, before the model's text, so that a cut in place
  /// finds the wrong string first): every row is repaired, `lines` in place and `shadowed`
  /// written anew. Returns the first turn of `listKey` in the rewritten row.
  func repairedTurn(_ lines: [String], shadowed: String, listKey: String) async throws -> [String: Any]? {
    (try await repairedRow(lines, shadowed: shadowed)?[listKey] as? [[String: Any]])?.first
  }

  /// ``repairedTurn(_:shadowed:listKey:)``'s checks; the rewritten row, parsed.
  func repairedRow(_ lines: [String], shadowed: String) async throws -> [String: Any]? {
    let dir = TempDir()
    let (summary, _) = try await repairClean(lines + [shadowed], in: dir)
    let quarantined = try String(contentsOfFile: dir.path("q.jsonl"), encoding: .utf8)
    #expect(summary.repaired == lines.count + 1 && summary.quarantined == 0, "\(quarantined)")
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8).split(separator: "\n")
    #expect(
      clean.prefix(lines.count).map(String.init)
        == lines.map { $0.replacingOccurrences(of: "A4 spice combinator: ", with: "") })
    let audit = try String(contentsOfFile: dir.path("audit.jsonl"), encoding: .utf8).split(separator: "\n")
    #expect(
      audit.prefix(lines.count).allSatisfy {
        $0.contains("A4 spice combinator:") && !$0.contains("\"rewritten\":true")
      })
    #expect(audit.last?.contains("\"rewritten\":true") == true)
    let rewritten = try #require(
      clean.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) })
    return rewritten as? [String: Any]
  }

  /// A scaffolding prefix at the start of a `reasoning_content` field is cut out of that field
  /// in place; the other bytes of the line stay as they were.
  @Test func repairCutsThePrefixOutOfAReasoningField() async throws {
    let lines = (0..<6).map { i in
      #"{"id": "r\#(i)", "messages": [{"role": "user", "content": "Q\#(i)"}, {"role": "assistant", "reasoning_content": "A4 spice combinator: step \#(i) of the claim.", "content": "No \#(i)."}]}"#
    }
    let shadowed =
      #"{"id":"e","meta":"A4 spice combinator: seen","messages":[{"role":"assistant","reasoning_content":"A4 spice combinator: step 9.","content":"No."}]}"#
    let turn = try await repairedTurn(lines, shadowed: shadowed, listKey: "messages")
    #expect(turn?["reasoning_content"] as? String == "step 9.")
    #expect(turn?["content"] as? String == "No.")
  }

  /// A reasoning field beside a `{prompt, response}` row's response is repaired as a chat
  /// turn's: the prefix is cut out of that field, in place or (an escaped prefix) rewritten.
  @Test func repairCutsThePrefixOutOfATopLevelReasoningField() async throws {
    let lines = (0..<5).map { i in
      #"{"id": "p\#(i)", "prompt": "Q\#(i)", "reasoning": "A4 spice combinator: step \#(i) of the claim.", "response": "No \#(i)."}"#
    }
    let shadowed =
      #"{"id":"e","meta":"A4 spice combinator: seen","prompt":"Q","reasoning":"A4 spice combinator: step 9.","response":"No."}"#
    let row = try await repairedRow(lines, shadowed: shadowed)
    #expect(row?["meta"] as? String == "A4 spice combinator: seen")
    #expect(row?["reasoning"] as? String == "step 9.")
    #expect(row?["response"] as? String == "No.")
  }

  /// A model turn without reasoning that opens with scaffolding is flagged (the rule looks at
  /// the turn's start) and repaired there, on bytes and through `RowContext` alike.
  @Test func scaffoldingOpeningATurnWithoutReasoningIsFoundAndCut() async throws {
    let dir = TempDir()
    let lines =
      (0..<6).map { i in
        i % 2 == 0
          ? #"{"id": "a\#(i)", "prompt": "Q\#(i)", "response": "A4 spice combinator: the answer is \#(i)."}"#
          : #"{"id": "m\#(i)", "messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "  A4 spice combinator: no \#(i)."}]}"#
      } + [#"{"id": "t", "text": "A4 spice combinator: a templated row is not read from its start."}"#]
    let path = dir.file("c.jsonl", lines.joined(separator: "\n") + "\n")
    var config = ScanConfiguration()
    config.discovery = false
    config.detectors = config.detectors.map {
      $0 is ThinkStructureDetector ? ThinkStructureDetector(requireThink: false) : $0
    }
    for byteRows in [true, false] {
      var scanner = CorpusScanner(configuration: config)
      scanner.usesByteRows = byteRows
      let report = try await scanner.scan(path: path, parallelism: 1)
      let prefix = try #require(report.detectors.first { $0.id == "scaffold-prefix" })
      #expect(prefix.rows == 6 && prefix.examples.map(\.line) == [1, 2, 3, 4, 5])
      #expect(report.detectors.first { $0.id == "think-structure" }?.rows == 0)
    }
    let (summary, _) = try await CorpusCleaner(configuration: config, repair: true).clean(
      path: path, cleanOut: dir.path("clean.jsonl"), quarantineOut: dir.path("q.jsonl"),
      auditOut: dir.path("audit.jsonl"))
    #expect(summary.repaired == 6 && summary.clean == 7)
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8).split(separator: "\n")
    #expect(
      clean.prefix(6).map(String.init)
        == lines.prefix(6).map { $0.replacingOccurrences(of: "A4 spice combinator: ", with: "") })
    #expect(clean.last.map(String.init) == lines.last)
  }

  /// TRL's conversational prompt-completion rows are repaired as chats are: the prefix is cut
  /// out of the completion's turn.
  /// A corpus written by Go's `encoding/json` escapes `<` and `>` (`\u003cthink\u003e`), and
  /// other writers escape a prefix's letters (`\u00e9`) and slashes (`\/`): the prefix is still
  /// cut in place, the escapes that make it and nothing else, so numbers (`1.0`, `-0`, `1e2`),
  /// key order and a CRLF line ending stay as they were; a row that must be written anew
  /// keeps its line ending too.
  @Test func repairCutsEscapedPrefixesInPlaceAndKeepsLineEndings() async throws {
    let dir = TempDir()
    let lines = (0..<4).map { i in
      #"{"prompt":"q\#(i)","response":"\u003cthink\u003e\nA4 \u00e9pice combinator: step \#(i) of 1\/2.\u003c/think\u003e No.","score":1.0,"z":-0,"w":1e2,"id":"g\#(i)"}"#
        + "\r"
    }
    let shadowed =
      #"{"meta":"\u003cthink\u003eA4 \u00e9pice combinator: seen","prompt":"q","response":"\u003cthink\u003e\nA4 \u00e9pice combinator: step 9.\u003c/think\u003e No.","score":1.0,"id":"s"}"#
      + "\r"
    let (summary, _) = try await repairClean(lines + [shadowed], in: dir)
    let quarantined = try String(contentsOfFile: dir.path("q.jsonl"), encoding: .utf8)
    #expect(summary.repaired == 5 && summary.quarantined == 0, "\(quarantined)")
    let clean = try Array(Data(contentsOf: URL(fileURLWithPath: dir.path("clean.jsonl"))))
      .split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map {
        String(decoding: $0, as: UTF8.self)
      }
    #expect(clean.count == 5)
    #expect(
      Array(clean.prefix(4))
        == lines.map { $0.replacingOccurrences(of: #"A4 \u00e9pice combinator: "#, with: "") })
    #expect(clean.allSatisfy { $0.hasSuffix("\r") })
    let audit = try String(contentsOfFile: dir.path("audit.jsonl"), encoding: .utf8).split(separator: "\n")
    #expect(
      audit.prefix(4).allSatisfy {
        $0.contains("\"rewritten\":false") && $0.contains("A4 épice combinator: ")
      })
    #expect(audit.last?.contains("\"rewritten\":true") == true)
    let row = try #require(try JSONSerialization.jsonObject(with: Data(clean[4].utf8)) as? [String: Any])
    #expect(row["response"] as? String == "<think>\nstep 9.</think> No.")
  }

  @Test func repairCutsThePrefixOutOfAConversationalCompletion() async throws {
    let lines = (0..<4).map { i in
      #"{"prompt": [{"role": "user", "content": "Q\#(i)"}], "completion": [{"role": "assistant", "content": "<think>\nA4 spice combinator: step \#(i).\n</think>\n\nNo."}]}"#
    }
    let shadowed =
      #"{"meta":"<think>A4 spice combinator: seen","prompt":[{"role":"user","content":"Q"}],"completion":[{"role":"assistant","content":"<think>\nA4 spice combinator: step 9.\n</think>\n\nNo."}]}"#
    let turn = try await repairedTurn(lines, shadowed: shadowed, listKey: "completion")
    #expect(turn?["content"] as? String == "<think>\nstep 9.\n</think>\n\nNo.")
  }
}

@Suite struct UserDetectorTests {
  /// Flags rows holding `color`, writing another id into its findings.
  struct Mislabeled: Detector {
    let id = "mislabeled"
    let summary = "rows that say color"
    func findings(in context: RowContext) -> [Finding] {
      context.row.segments.contains { $0.text.contains("color") }
        ? [Finding(detector: "something-else", evidence: "color")] : []
    }
  }

  /// A user's detector's findings are filed under its id in the report and in the quarantine
  /// reasons alike, whatever id its findings carry.
  @Test func findingsAreFiledUnderTheirDetectorsID() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      [
        messagesRow("r1", "<think>Okay, so the color.</think>Red."),
        messagesRow("r2", "<think>Okay.</think>No."),
      ]
      .joined(separator: "\n") + "\n")
    let config = ScanConfiguration(extraDetectors: [Mislabeled()])
    let report = try await CorpusScanner(configuration: config).scan(path: path)
    #expect(report.detectors.first { $0.id == "mislabeled" }?.rows == 1)
    let q = dir.path("q.jsonl")
    _ = try await CorpusCleaner(configuration: config).clean(
      path: path, cleanOut: dir.path("c.out"), quarantineOut: q)
    let reasons = try String(contentsOfFile: q, encoding: .utf8)
    #expect(reasons.contains(#"{"detector":"mislabeled","evidence":"color"}"#), "\(reasons)")
    #expect(!reasons.contains("something-else"))
    // A row made by hand reaches a user's detector as a parsed one does.
    let row = CorpusRow(
      line: 1, offset: 0, id: "r9", shape: .messages,
      segments: [RowSegment(role: "user", text: "Q"), RowSegment(role: "assistant", text: "the color")])
    #expect(CorpusScanner(configuration: config).findings(in: row).map(\.detector).contains("mislabeled"))
  }

  /// A ruleset may disable a user's detector registered in its base, and a rule may not take
  /// that detector's id: the mistake is told at the rule's line.
  @Test func aRulesetKnowsTheDetectorsOfItsBase() throws {
    let base = ScanConfiguration(extraDetectors: [Mislabeled()])
    let off = try Ruleset.parse("detectors:\n  disable: [mislabeled]\n", file: "off.yaml", base: base)
    #expect(!off.detectors.contains { $0.id == "mislabeled" })
    #expect(throws: LeakScannerError.self) {
      try Ruleset.parse("detectors:\n  disable: [unknown-one]\n", file: "bad.yaml", base: base)
    }
    do {
      _ = try Ruleset.parse("rules:\n  - { id: mislabeled, literal: \"x\" }\n", file: "r.yaml", base: base)
      Issue.record("a rule took a registered detector's id")
    } catch {
      #expect("\(error)".hasPrefix("r.yaml:2:"), "\(error)")
      #expect("\(error)".contains("already used by a detector of the configuration"), "\(error)")
    }
  }
}

@Suite struct ShardMergeTests {
  /// Two detectors with one id would be one row of the report after a merge (their counts
  /// added), and a detector named like a check of the scan's own would be mixed with it: the
  /// scan and `clean` refuse such a configuration, saying which id.
  @Test func aConfigurationWithADetectorIDTwiceIsRefused() async throws {
    struct Named: Detector {
      let id: String
      let summary = "flags nothing"
      func findings(in context: RowContext) -> [Finding] { [] }
    }
    let dir = TempDir()
    let path = dir.file("c.jsonl", messagesRow("r1", "<think>Okay, so.</think>Yes.") + "\n")
    for id in ["mojibake", DetectorID.exactDuplicate, DetectorID.malformed, DetectorID.discovered] {
      let scanner = CorpusScanner(configuration: ScanConfiguration(extraDetectors: [Named(id: id)]))
      await #expect(throws: LeakScannerError.duplicateDetectorID(id)) { try await scanner.scan(path: path) }
      let cleaner = CorpusCleaner(configuration: ScanConfiguration(extraDetectors: [Named(id: id)]))
      await #expect(throws: LeakScannerError.duplicateDetectorID(id)) {
        try await cleaner.clean(path: path, cleanOut: dir.path("c.out"), quarantineOut: dir.path("q.out"))
      }
      #expect(!FileManager.default.fileExists(atPath: dir.path("c.out")))
    }
    #expect("\(LeakScannerError.duplicateDetectorID("mojibake"))".contains("'mojibake' is used twice"))
    // A detector needs an id to be told apart in a report.
    let nameless = CorpusScanner(configuration: ScanConfiguration(extraDetectors: [Named(id: "")]))
    await #expect(throws: LeakScannerError.emptyDetectorID(summary: "flags nothing")) {
      try await nameless.scan(path: path)
    }
    // The accepted candidates' rules scan under `discovered`, as `scan --accept-discovered` does.
    let accepted = RuleDetector(
      id: DetectorID.discovered, summary: "accepted",
      rules: [
        LeakRule(
          id: "okay", summary: "okay", scope: .anywhere, matcher: .literal("Okay", caseInsensitive: false))
      ])
    let withAccepted = try await CorpusScanner(configuration: ScanConfiguration(extraDetectors: [accepted]))
      .scan(path: path)
    #expect(withAccepted.detectors.first { $0.id == DetectorID.discovered }?.rows == 1)
    // Ids of their own scan as before.
    let report = try await CorpusScanner(
      configuration: ScanConfiguration(extraDetectors: [Named(id: "mine"), Named(id: "theirs")])
    ).scan(path: path)
    #expect(report.detectors.filter { ["mine", "theirs"].contains($0.id) }.count == 2)
  }

  /// A corpus of several MiB is read as many pieces (and a shard as several): line numbers in
  /// examples and issues are still the file's, however the pieces fall.
  @Test func lineNumbersAreTheFilesAcrossPieces() async throws {
    let dir = TempDir()
    let pad = String(repeating: "word ", count: 400)
    var lines = (1...4000).map {
      messagesRow("r\($0)", "<think>\nOkay, so \(pad)\(ShardMergeTests.self) \($0).\n</think>\n\nA.")
    }
    let (note, broken) = (3217, 3901)
    lines[note - 1] = messagesRow("note", "<think>\nOkay. Duplicate of 3886.\n</think>\n\nA.")
    lines[broken - 1] = "{broken"
    let path = dir.file("big.jsonl", lines.joined(separator: "\n") + "\n")
    #expect(try JSONLReader(path: path).fileSize() > 6 << 20)
    let scanner = CorpusScanner()
    for (shard, parallelism) in [(nil, 2), ((2, 2), 2), (nil, 1)] as [((Int, Int)?, Int)] {
      let report = try await scanner.scan(path: path, shard: shard, parallelism: parallelism)
      let notes = report.detectors.first { $0.id == "producer-note" }
      #expect(notes?.examples.map(\.line) == [note], "\(String(describing: shard))")
      #expect(notes?.examples.map(\.id) == ["note"])
      #expect(report.issues.map(\.line) == [broken])
      if shard == nil {
        #expect(report.lines == 4000)
      } else {
        #expect(report.lines > 0 && report.lines < 4000)
      }
    }
  }

  @Test func mergedShardsEqualASingleScan() async throws {
    let dir = TempDir()
    var text = generatedCorpus(900) { i in
      i % 4 == 0 ? "A\(i % 5) spice combinator: " : (i % 9 == 0 ? "Blend matrix \(i % 3) says " : nil)
    }
    text += generatedCorpus(1)  // row-0 again: an exact duplicate far from its original (different random case)
    text += messagesRow("dup", "<think>\nOkay, so fixed text.\n</think>\n\nA.") + "\n"
    text += "{broken\n"
    text += messagesRow("dup2", "<think>\nOkay, so fixed text.\n</think>\n\nA.") + "\n"
    let path = dir.file("c.jsonl", text)
    var config = ScanConfiguration()
    config.nearDuplicates = true
    let scanner = CorpusScanner(configuration: config)
    let whole = try await scanner.scan(path: path, parallelism: 1)
    var shards: [ScanReport] = []
    for k in 1...3 {
      let report = try await scanner.scan(path: path, shard: (k, 3), parallelism: 2)
      let data = try JSONEncoder().encode(report)
      shards.append(try JSONDecoder().decode(ScanReport.self, from: data))
      try data.write(to: URL(fileURLWithPath: dir.path("shard\(k).json")))
    }
    let merged = try ShardMerger.merge(shards, configuration: config)
    // Read from files one shard's rows at a time, in any order given: the same report.
    let fromPaths = try ShardMerger.merge(
      paths: [3, 1, 2].map { dir.path("shard\($0).json") }, configuration: config)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    #expect(try encoder.encode(fromPaths) == encoder.encode(merged))
    #expect(
      try encoder.encode(ShardMerger.merge(shards.reversed(), configuration: config))
        == encoder.encode(merged))
    #expect(merged.lines == whole.lines && merged.rows == whole.rows)
    #expect(merged.malformedLines == whole.malformedLines)
    #expect(merged.flaggedRows == whole.flaggedRows)
    #expect(merged.detectors.map(\.id) == whole.detectors.map(\.id))
    #expect(merged.detectors.map(\.rows) == whole.detectors.map(\.rows))
    // Examples carry the same lines, ids and evidence (duplicate ids are read back from the file).
    #expect(merged.detectors.map(\.examples) == whole.detectors.map(\.examples))
    #expect(
      merged.detectors.first { $0.id == "exact-duplicate" }?.examples.first?.id.hasPrefix("line-") == false)
    #expect(merged.openingHistogram == whole.openingHistogram)
    #expect(merged.discovered == whole.discovered)
    #expect(whole.detectors.first { $0.id == "exact-duplicate" }?.rows == 1)
    #expect(shards.map(\.rows).reduce(0, +) == whole.rows)
  }

  /// A corpus of several MiB is read in many pieces by threads that keep their tallies across
  /// pieces: the report is the one a single thread makes.
  @Test func threadsAndPiecesDoNotChangeTheReport() async throws {
    let dir = TempDir()
    let copy = messagesRow("dup", "<think>\nOkay, so fixed text.\n</think>\n\nA.") + "\n"
    var text = copy
    text += generatedCorpus(9000) { i in
      i % 4 == 0 ? "A\(i % 5) spice combinator: " : (i % 9 == 0 ? "Blend matrix \(i % 3) says " : nil)
    }
    text += "{broken\n" + generatedCorpus(9000) { i in i % 6 == 0 ? "Remix \(i % 4): " : nil }
    text += copy  // an exact duplicate of the first row, in the last piece
    let path = dir.file("c.jsonl", text)
    #expect(text.utf8.count > 4 << 20)
    let scanner = CorpusScanner()
    let one = try await scanner.scan(path: path, parallelism: 1)
    let three = try await scanner.scan(path: path, parallelism: 3)
    #expect(one.lines == 18_003 && three.lines == one.lines && three.rows == one.rows)
    #expect(three.flaggedRows == one.flaggedRows)
    #expect(three.issues == one.issues && one.malformedLines == 1)
    #expect(three.detectors == one.detectors)
    #expect(one.detectors.first { $0.id == "exact-duplicate" }?.examples.map(\.line) == [18_003])
    #expect(three.openingHistogram == one.openingHistogram)
    #expect(three.discovered == one.discovered && !one.discovered.isEmpty)
    #expect(three.shapes == one.shapes)
    // With the tables bounded (far fewer distinct openings kept than there are), the report
    // is still the same run after run: what each piece counts does not depend on which thread
    // took it.
    var bounded = ScanConfiguration()
    bounded.maxDistinctOpenings = 4  // of 15 distinct openings
    let first = try await CorpusScanner(configuration: bounded).scan(path: path, parallelism: 3)
    #expect(first.openingHistogramDropped ?? 0 > 0)
    for _ in 0..<2 {
      let again = try await CorpusScanner(configuration: bounded).scan(path: path, parallelism: 3)
      #expect(again.openingHistogram == first.openingHistogram)
      #expect(again.openingHistogramDropped == first.openingHistogramDropped)
      #expect(again.discovered == first.discovered)
    }
  }

  /// With exact duplicates off, near-duplicate examples still carry the ids a single scan gives.
  @Test func mergedNearDuplicatesKeepRowIDs() async throws {
    let dir = TempDir()
    let base = (0..<60).map { "word\($0)" }.joined(separator: " ")
    let rows = (0..<40).map { i in
      messagesRow("row-\(i)", "<think>\nOkay, so \(base) \(i % 2 == 0 ? "" : "extra")\n</think>\n\nA.")
    }
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    var config = ScanConfiguration()
    config.exactDuplicates = false
    config.nearDuplicates = true
    let scanner = CorpusScanner(configuration: config)
    let whole = try await scanner.scan(path: path, parallelism: 1)
    var shards: [ScanReport] = []
    for k in 1...2 { shards.append(try await scanner.scan(path: path, shard: (k, 2), parallelism: 1)) }
    let merged = try ShardMerger.merge(shards, configuration: config)
    let near = { (r: ScanReport) in r.detectors.first { $0.id == "near-duplicate" }?.examples ?? [] }
    #expect(!near(whole).isEmpty)
    #expect(near(merged) == near(whole))
  }

  /// A copy is a duplicate only of a row that stays clean: after a damaged row, its fixed copy
  /// is the one kept (and a shard merge agrees).
  @Test func theFirstCleanCopyIsKept() async throws {
    let dir = TempDir()
    let words = (0..<60).map { "word\($0)" }.joined(separator: " ")
    let rows = [
      messagesRow("damaged", "<think>\nOkay, so the applicantâ€™s \(words)\n</think>\n\nA."),
      messagesRow("fixed", "<think>\nOkay, so the applicant’s \(words)\n</think>\n\nA."),
      messagesRow("again", "<think>\nOkay, so the applicant's \(words)\n</think>\n\nA."),
      messagesRow("other", "<think>\nOkay, so something else entirely.\n</think>\n\nB."),
    ]
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    var config = ScanConfiguration()
    config.nearDuplicates = true
    let (summary, report) = try await CorpusCleaner(configuration: config).clean(
      path: path, cleanOut: dir.path("clean.jsonl"), quarantineOut: dir.path("q.jsonl"))
    #expect(summary.clean == 2 && summary.quarantined == 2)
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8)
    #expect(clean == rows[1] + "\n" + rows[3] + "\n")
    let quarantine = try String(contentsOfFile: dir.path("q.jsonl"), encoding: .utf8)
    #expect(quarantine.contains("≈ line 2"), "\(quarantine)")
    var shards: [ScanReport] = []
    let scanner = CorpusScanner(configuration: config)
    for k in 1...2 { shards.append(try await scanner.scan(path: path, shard: (k, 2), parallelism: 1)) }
    let merged = try ShardMerger.merge(shards, configuration: config)
    #expect(merged.detectors == report.detectors)
  }

  @Test func shardsOfCopiesAtOtherPathsMergeByContent() async throws {
    let dir = TempDir()
    var text = generatedCorpus(80)
    text += messagesRow("dup", "<think>\nOkay, so fixed text.\n</think>\n\nA.") + "\n"
    text += messagesRow("dup2", "<think>\nOkay, so fixed text.\n</think>\n\nA.") + "\n"
    // One batch job per node, each with its own copy of the corpus.
    let (nodeA, nodeB) = (dir.file("node-a-train.jsonl", text), dir.file("node-b-train.jsonl", text))
    let scanner = CorpusScanner()
    let shards = [
      try await scanner.scan(path: nodeA, shard: (1, 2)), try await scanner.scan(path: nodeB, shard: (2, 2)),
    ]
    #expect(shards[0].mergeState?.fileFingerprint == shards[1].mergeState?.fileFingerprint)
    #expect(shards[0].mergeState?.fileFingerprint?.hasPrefix("\(text.utf8.count)-") == true)
    let merged = try ShardMerger.merge(shards, configuration: ScanConfiguration())
    let whole = try await scanner.scan(path: nodeA)
    #expect(merged.detectors.map(\.rows) == whole.detectors.map(\.rows))
    #expect(merged.detectors.map(\.examples) == whole.detectors.map(\.examples))
    // Duplicate examples' ids are read back from a copy that is unchanged: here the first is
    // gone, the second still holds the scanned content.
    try FileManager.default.removeItem(atPath: nodeA)
    let fromCopy = try ShardMerger.merge(shards, configuration: ScanConfiguration())
    let duplicates = { (r: ScanReport) in r.detectors.first { $0.id == "exact-duplicate" }?.examples ?? [] }
    #expect(!duplicates(whole).isEmpty)
    #expect(duplicates(fromCopy) == duplicates(whole))
    // With no unchanged copy at hand, examples are named by line instead of reading wrong ids.
    _ = dir.file("node-b-train.jsonl", text.replacingOccurrences(of: "\"id\":\"", with: "\"id\":\"x"))
    let renamed = try ShardMerger.merge(shards, configuration: ScanConfiguration())
    #expect(duplicates(renamed).allSatisfy { $0.id.hasPrefix("line-") })
    #expect(duplicates(renamed).map(\.line) == duplicates(whole).map(\.line))
  }

  @Test func shardsOfTheSameSizeButOtherContentDoNotMerge() async throws {
    let dir = TempDir()
    let text = generatedCorpus(80)
    let original = dir.file("a.jsonl", text)
    // One byte changed at the start: same size, other content.
    var edited = Array(text.utf8)
    let k = edited.firstIndex(of: UInt8(ascii: "0"))!
    edited[k] = UInt8(ascii: "1")
    let copy = dir.file("b.jsonl", String(decoding: edited, as: UTF8.self))
    let scanner = CorpusScanner()
    let a = try await scanner.scan(path: original, shard: (1, 2))
    let b = try await scanner.scan(path: copy, shard: (2, 2))
    #expect(a.mergeState?.fileSize == b.mergeState?.fileSize)
    #expect {
      try ShardMerger.merge([a, b], names: ["a.json", "b.json"], configuration: ScanConfiguration())
    } throws: { "\($0)".contains("b.json") && "\($0)".contains("other content") }
    // Reports without fingerprints (older versions) still merge by path and size.
    var (oldA, oldB) = (a, b)
    oldA.mergeState?.fileFingerprint = nil
    oldB.mergeState?.fileFingerprint = nil
    #expect {
      try ShardMerger.merge([oldA, oldB], configuration: ScanConfiguration())
    } throws: { "\($0)".contains("scanned \(copy)") }
  }

  @Test func mergeRejectsIncompleteOrMixedShards() async throws {
    let dir = TempDir()
    let path = dir.file("c.jsonl", generatedCorpus(50))
    let scanner = CorpusScanner()
    let a = try await scanner.scan(path: path, shard: (1, 2))
    #expect(throws: LeakScannerError.self) { try ShardMerger.merge([a], configuration: ScanConfiguration()) }
    #expect(throws: LeakScannerError.self) {
      try ShardMerger.merge([a, a], configuration: ScanConfiguration())
    }
    let whole = try await scanner.scan(path: path)
    #expect(throws: LeakScannerError.self) {
      try ShardMerger.merge([whole], configuration: ScanConfiguration())
    }
    // A shard scanned with other rules, or of a file that has changed since, does not merge.
    let b = try await scanner.scan(path: path, shard: (2, 2))
    #expect(try ShardMerger.merge([a, b], configuration: ScanConfiguration()).rows == whole.rows)
    // A shard name outside 1...N (a hand-edited report) is refused, not merged as a third part.
    for name in ["3/2", "0/2", "2/0", "2/"] {
      var edited = b
      edited.shard = name
      #expect(throws: LeakScannerError.self, "\(name)") {
        try ShardMerger.merge([a, edited], configuration: ScanConfiguration())
      }
    }
    var other = ScanConfiguration()
    other.detectors.removeAll { $0.id == "run-together" }
    let bOther = try await CorpusScanner(configuration: other).scan(path: path, shard: (2, 2))
    #expect {
      try ShardMerger.merge([a, bOther], names: ["a.json", "b.json"], configuration: ScanConfiguration())
    } throws: { "\($0)".contains("b.json") && "\($0)".contains("other settings") }
    func withLiteralRule(_ text: String) -> ScanConfiguration {
      var config = ScanConfiguration()
      let rule = LeakRule(
        id: "mine", summary: "mine", scope: .anywhere, matcher: .literal(text, caseInsensitive: false))
      config.detectors.append(RuleDetector(id: "mine", summary: "mine", rules: [rule]))
      return config
    }
    // Settings that only a detector holds count too: think structure, a rule's text.
    for change in [
      { (c: inout ScanConfiguration) in
        c.detectors = c.detectors.map {
          $0 is ThinkStructureDetector ? ThinkStructureDetector(requireThink: false) : $0
        }
      },
      { (c: inout ScanConfiguration) in c = withLiteralRule("alpha") },
    ] {
      var changed = ScanConfiguration()
      change(&changed)
      let bChanged = try await CorpusScanner(configuration: changed).scan(path: path, shard: (2, 2))
      #expect(throws: LeakScannerError.self) {
        try ShardMerger.merge([a, bChanged], configuration: ScanConfiguration())
      }
    }
    let (alpha, beta) = (withLiteralRule("alpha"), withLiteralRule("beta"))
    #expect(alpha.fingerprint != beta.fingerprint)
    #expect(ScanConfiguration().fingerprint == ScanConfiguration().fingerprint)
    _ = dir.file("c.jsonl", generatedCorpus(60))
    let bChanged = try await scanner.scan(path: path, shard: (2, 2))
    #expect {
      try ShardMerger.merge([a, bChanged], configuration: ScanConfiguration())
    } throws: { "\($0)".contains("-byte file") }
  }
}

@Suite struct RulesetTests {
  @Test func parsesSettingsAndUserRules() throws {
    let config = try Ruleset.parse(
      """
      shape: messages
      template: deepseek-r1
      detectors:
        disable: [script-drift]
        near_duplicates: { enabled: true, threshold: 0.9 }
        require_think: false
      rules:
        - { id: regen, where: anywhere, literal: "[[regen]]", case_insensitive: true }
        - { id: vendor, where: think_start, regex: "^Q[0-9]+ blend:" }
      """)
    #expect(config.shape == .messages)
    #expect(config.nearDuplicates && config.nearDuplicateThreshold == 0.9)
    #expect(!config.detectors.contains { $0.id == "script-drift" })
    let ids = config.detectors.map(\.id)
    #expect(ids.contains("regen") && ids.contains("vendor"))
    let ctx = RowContext(row: row("<think>Q12 blend: x</think>see [[REGEN]]"), format: .think)
    let vendor = config.detectors.first { $0.id == "vendor" }!
    #expect(vendor.findings(in: ctx).first?.repairPrefix == "Q12 blend:")
    #expect(config.detectors.first { $0.id == "regen" }!.findings(in: ctx).count == 1)
  }

  func error(_ yaml: String) -> String {
    do {
      _ = try Ruleset.parse(yaml, file: "rules.yaml")
      return "no error"
    } catch {
      return "\(error)"
    }
  }

  @Test func requireThinkIsTrueFalseOrAuto() throws {
    func requirement(_ value: String) throws -> Bool?? {
      let config = try Ruleset.parse("detectors:\n  require_think: \(value)\n", file: "r.yaml")
      return config.detectors.compactMap { $0 as? ThinkStructureDetector }.first.map(\.requireThink)
    }
    #expect(try requirement("true") == .some(true))
    #expect(try requirement("false") == .some(false))
    #expect(try requirement("auto") == .some(nil))
    #expect(try requirement("AUTO") == .some(nil))
    // A ruleset without the key keeps what its base has.
    var base = ScanConfiguration()
    base.detectors = base.detectors.map {
      $0 is ThinkStructureDetector ? ThinkStructureDetector(requireThink: false) : $0
    }
    let kept = try Ruleset.parse("detectors:\n  disable: [mojibake]\n", base: base)
    #expect(kept.detectors.compactMap { $0 as? ThinkStructureDetector }.first?.requireThink == false)
    #expect(ThinkStructureDetector().requireThink == nil)
    #expect(error("detectors:\n  require_think: maybe\n").hasPrefix("rules.yaml:2:18:"))
    #expect(error("detectors:\n  require_think: maybe\n").contains("true, false or auto"))
  }

  /// A ruleset changes only what it names: the base configuration's template and text-check
  /// settings survive a ruleset that does not mention them (`Ruleset.load(path:base:)`).
  @Test func baseDetectorSettingsSurviveARulesetThatDoesNotNameThem() throws {
    var mojibake = MojibakeCheck()
    mojibake.minSequences = 7
    var runTogether = RunTogetherCheck()
    runTogether.minWordLetters = 40
    var repetition = RepetitionCheck()
    repetition.minRepeats = 9
    let base = ScanConfiguration(detectors: [
      SpecialTokenDetector(template: .llama3),
      ScriptDriftDetector(check: ScriptDriftCheck(expected: .scripts([.latin]))),
      MojibakeDetector(check: mojibake), RunTogetherDetector(check: runTogether),
      RepetitionDetector(check: repetition),
    ])
    let loaded = try Ruleset.parse("rules:\n  - { id: x, literal: zzz }\n", file: "r.yaml", base: base)
    func first<D: Detector>(_ type: D.Type) -> D? { loaded.detectors.lazy.compactMap { $0 as? D }.first }
    #expect(first(SpecialTokenDetector.self)?.template == .llama3)
    #expect(first(ScriptDriftDetector.self)?.check == ScriptDriftCheck(expected: .scripts([.latin])))
    #expect(first(MojibakeDetector.self)?.check == mojibake)
    #expect(first(RunTogetherDetector.self)?.check == runTogether)
    #expect(first(RepetitionDetector.self)?.check == repetition)
    // A key the ruleset does give changes that setting only, on top of the base's.
    let tuned = try Ruleset.parse(
      "template: auto\ndetectors:\n  mojibake: { count_replacement_characters: false }\n", file: "r.yaml",
      base: base)
    #expect(tuned.detectors.lazy.compactMap { $0 as? SpecialTokenDetector }.first?.template == nil)
    let tunedMojibake = tuned.detectors.lazy.compactMap { $0 as? MojibakeDetector }.first?.check
    #expect(tunedMojibake?.minSequences == 7 && tunedMojibake?.countReplacementCharacters == false)
  }

  /// `scaffold_prefix:` in a ruleset adds to the base's scaffold detector: the base's own
  /// labels stay and the rules it left out stay out.
  @Test func scaffoldSettingsAddToTheBasesLabelsAndLeftOutRules() async throws {
    var scaffold = BuiltinDetectors.scaffoldPrefix(extraLabels: ["blend"])
    scaffold.rules.removeAll { $0.id == "key-value" }
    let base = ScanConfiguration(detectors: [scaffold])
    let loaded = try Ruleset.parse(
      "detectors:\n  scaffold_prefix: { labels: [mix], disable_rules: [bracket-tag] }\n", file: "r.yaml",
      base: base)
    let made = try #require(loaded.detectors.lazy.compactMap { $0 as? RuleDetector }.first)
    #expect(made.extraLabels == ["blend", "mix"])
    let ids = Set(made.rules.map(\.id))
    #expect(!ids.contains("key-value") && !ids.contains("bracket-tag") && ids.contains("designator"))
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      [
        messagesRow("b", "<think>Blend 3: Okay, so the sauce.</think>A."),
        messagesRow("m", "<think>Mix 2: Okay, so the dough.</think>A."),
        messagesRow("k", "<think>persona=lawyer Okay, so the claim.</think>A."),
      ].joined(separator: "\n") + "\n")
    let report = try await CorpusScanner(configuration: loaded).scan(path: path, parallelism: 1)
    let found = try #require(report.detectors.first { $0.id == "scaffold-prefix" })
    #expect(found.rows == 2 && found.examples.map(\.line) == [1, 2])
  }

  /// An empty regex is named as such, at its place, not reported as unbalanced brackets.
  @Test func emptyRegexIsNamed() {
    let empty = error("rules:\n  - { id: x, regex: \"\" }\n")
    #expect(empty.hasPrefix("rules.yaml:2:21: invalid rule: rule x: empty regex"), "\(empty)")
    #expect(!empty.contains("unbalanced"), "\(empty)")
    let anchorOnly = error("rules:\n  - { id: y, where: think_start, regex: \"^\" }\n")
    #expect(anchorOnly.hasPrefix("rules.yaml:2:"), "\(anchorOnly)")
    #expect(anchorOnly.contains("rule y: empty regex after the '^' anchor"), "\(anchorOnly)")
  }

  /// Mistakes outside `rules:` are worded as ruleset errors; those inside a rule as rule errors.
  @Test func errorsSayWhetherARuleOrTheRulesetIsWrong() {
    for yaml in ["bogus: 1\n", "detectors:\n  disable: [nope]\n", "rules: 3\n", "shape: [\n"] {
      let e = error(yaml)
      #expect(e.hasPrefix("rules.yaml:") && e.contains(": invalid ruleset: "), "\(e)")
      #expect(!e.contains("invalid rule:"), "\(e)")
    }
    for yaml in [
      "rules:\n  - { id: x, regx: a }\n", "rules:\n  - { id: x }\n",
      "rules:\n  - { id: x, literal: a }\n  - { id: x, literal: b }\n", "rules:\n  - 5\n",
    ] {
      let e = error(yaml)
      #expect(e.hasPrefix("rules.yaml:2:") || e.hasPrefix("rules.yaml:3:"), "\(e)")
      #expect(e.contains(": invalid rule: "), "\(e)")
    }
  }

  @Test func errorsNameFileLineAndColumn() {
    #expect(error("rules:\n  - { id: x, regex: \"([\" }\n").hasPrefix("rules.yaml:2:"))
    #expect(error("rules:\n  - { id: x, regex: \"([\" }\n").contains("invalid regular expression"))
    #expect(error("detectors:\n  disable: [nope]\n").contains("unknown detector 'nope'"))
    #expect(error("shape: tabular\n").hasPrefix("rules.yaml:1:8: invalid ruleset: unknown shape"))
    #expect(error("rules:\n  - { id: x }\n").contains("exactly one of 'literal' or 'regex'"))
    #expect(
      error("detector:\n  disable: []\n").hasPrefix("rules.yaml:1:1: invalid ruleset: unknown key 'detector'")
    )
    // A key given twice is told where it is given again, in block and flow mappings.
    let duplicate = error("shape: text\nshape: messages\n")
    #expect(duplicate.hasPrefix("rules.yaml:2:1:"), "\(duplicate)")
    #expect(duplicate.contains("'shape' given twice"), "\(duplicate)")
    let nested = error(
      "detectors:\n  discovery:\n    enabled: true\n    min_share: 0.1\n    min_share: 0.2\n")
    #expect(nested.hasPrefix("rules.yaml:5:5:"), "\(nested)")
    let flow = error("detectors: {exact_duplicates: true, exact_duplicates: false}\n")
    #expect(flow.hasPrefix("rules.yaml:1:37:"), "\(flow)")
    #expect(error("shape: auto\r\nshape: text\r\n").hasPrefix("rules.yaml:2:1:"))
    let quoted = error("reasoning: {open_tag: \"a, open_tag: b\", open_tag: \"<t>\"}\n")
    #expect(quoted.hasPrefix("rules.yaml:1:41:"), "\(quoted)")
    // A control character is placed by characters, not bytes.
    let control = error("# éééé\nrules:\n  - { id: x, literal: \"ab\u{01}\" }\n")
    #expect(control.hasPrefix("rules.yaml:3:26:"), "\(control)")
    // Settings that contradict themselves are refused where they are written.
    #expect(
      error("detectors:\n  script_drift: { expected: [] }\n").hasPrefix("rules.yaml:2:"))
    #expect(error("detectors:\n  script_drift: { expected: [] }\n").contains("list at least one"))
    let tags = error("reasoning: { open_tag: \"<think>\", close_tag: \"<think>\" }\n")
    #expect(tags.hasPrefix("rules.yaml:1:") && tags.contains("open_tag and close_tag are both"), "\(tags)")
  }

  /// Every built-in detector takes its settings from the ruleset, and they change what it flags.
  @Test func configuresEachBuiltInDetector() throws {
    func detector(_ config: ScanConfiguration, _ id: String) -> any Detector {
      config.detectors.first { $0.id == id }!
    }
    let tuned = try Ruleset.parse(
      """
      detectors:
        run_together: { min_word_letters: 12, min_run_together_letters: 12 }
        repetition: { min_repeats: 3, min_span_words: 6, max_period_words: 8 }
        mojibake: { min_sequences: 3 }
        scaffold_prefix: { disable_rules: [key-value], labels: [blend] }
        producer_note: { disable_rules: [vary], phrases: ["regen note"] }
      """, file: "tuned.yaml")
    let defaults = ScanConfiguration()
    // run-together: a 17-letter run is flagged at 12 letters, not at the default 25.
    let glued = "<think>x</think>the theclaimwasrejected today"
    #expect(findings(detector(tuned, "run-together"), glued).count == 1)
    #expect(findings(detector(defaults, "run-together"), glued).isEmpty)
    // repetition: three repeats of two words over six words.
    let loop = "<think>x</think>go on go on go on and stop"
    #expect(findings(detector(tuned, "repetition"), loop).count == 1)
    #expect(findings(detector(defaults, "repetition"), loop).isEmpty)
    // mojibake: one sequence is below a minimum of three.
    let once = "<think>x</think>caf\u{00C3}\u{00A9} is open"
    #expect(findings(detector(tuned, "mojibake"), once).isEmpty)
    #expect(findings(detector(defaults, "mojibake"), once).count == 1)
    // scaffold-prefix: a new label, and a rule left out.
    #expect(findings(detector(tuned, "scaffold-prefix"), "<think>Blend 3: salt</think>ok").count == 1)
    #expect(findings(detector(defaults, "scaffold-prefix"), "<think>Blend 3: salt</think>ok").isEmpty)
    #expect(findings(detector(tuned, "scaffold-prefix"), "<think>persona=chef salt</think>ok").isEmpty)
    #expect(findings(detector(defaults, "scaffold-prefix"), "<think>persona=chef salt</think>ok").count == 1)
    #expect(
      findings(detector(tuned, "scaffold-prefix"), "<think>A4 spice combinator: x</think>ok").count == 1)
    // producer-note: a user phrase (any case), and a rule left out.
    let phrase = findings(detector(tuned, "producer-note"), "<think>x</think>Regen Note: shorter")
    #expect(phrase.first?.evidence == "phrase: Regen Note")
    #expect(findings(detector(defaults, "producer-note"), "<think>x</think>Regen Note: shorter").isEmpty)
    #expect(findings(detector(tuned, "producer-note"), "<think>Vary the opening.</think>ok").isEmpty)
    #expect(findings(detector(defaults, "producer-note"), "<think>Vary the opening.</think>ok").count == 1)
    #expect(findings(detector(tuned, "producer-note"), "<think>duplicate of 3886</think>ok").count == 1)
    // Shards scanned with other settings are told apart.
    #expect(tuned.fingerprint != defaults.fingerprint)
  }

  /// A template of the user's own: rows must start with its BOS and end with its EOS.
  @Test func acceptsATemplateOfTheUsersOwn() throws {
    let config = try Ruleset.parse(
      """
      template: { name: mine, bos: "<s>", eos: "</s>", specials: ["[INST]", "[/INST]"] }
      """, file: "t.yaml")
    let special = config.detectors.first { $0.id == "special-tokens" }!
    func text(_ t: String) -> CorpusRow {
      CorpusRow(line: 1, offset: 0, id: "t", shape: .text, segments: [RowSegment(role: "text", text: t)])
    }
    #expect(findings(special, text("<s>[INST] Q [/INST]<think>a</think>b</s>")).isEmpty)
    #expect(findings(special, text("[INST] Q [/INST]<think>a</think>b</s>")).count == 1)
    #expect(findings(special, text("<s>[INST] Q [/INST]<think>a</think>b")).count == 1)
    // Named templates, and a template of one's own whose BOS opens every exchange.
    let named = try Ruleset.parse("template: llama2\n", file: "t.yaml")
    let llama2 = named.detectors.first { $0.id == "special-tokens" }!
    #expect(findings(llama2, text("<s>[INST] q [/INST] a </s><s>[INST] q2 [/INST] b </s>")).isEmpty)
    let perTurn = try Ruleset.parse(
      "template: { name: mine, bos: \"<s>\", eos: \"</s>\", bos_opens_each_turn: true }\n", file: "t.yaml")
    let mine = perTurn.detectors.first { $0.id == "special-tokens" }!
    #expect(findings(mine, text("<s>a </s><s>b </s>")).isEmpty)
    #expect(findings(special, text("<s>a </s><s>b </s>")).count == 1)
    #expect(perTurn.fingerprint != config.fingerprint)
    #expect(error("template: mistrall\n").contains("mistral, llama2"))
    #expect(error("template: { name: x }\n").contains("at least one of bos, eos or specials"))
    #expect(error("template: { bos: \"<s>\" }\n").contains("needs a 'name'"))
    #expect(error("template: { name: x, eos: \"\" }\n").hasPrefix("rules.yaml:1:"))
  }

  /// Settings of the shared checks are validated as in an emission gate file, with lines.
  @Test func refusesBadDetectorSettingsWithTheirLine() {
    #expect(error("detectors:\n  repetition: { min_repeats: 1 }\n").hasPrefix("rules.yaml:2:"))
    #expect(error("detectors:\n  repetition: { min_repeats: 1 }\n").contains("at least 2"))
    #expect(error("detectors:\n  run_together: { min_space_ratio: 3 }\n").contains("min_space_ratio"))
    #expect(error("detectors:\n  run_together: { min_word_letters: 0 }\n").contains("positive integer"))
    #expect(error("detectors:\n  mojibake: { min_sequences: x }\n").contains("positive integer"))
    #expect(error("detectors:\n  repetition: { min_loops: 3 }\n").contains("unknown key 'min_loops'"))
    #expect(
      error("detectors:\n  producer_note:\n    disable_rules: [nope]\n").hasPrefix("rules.yaml:3:21:"))
    #expect(
      error("detectors:\n  producer_note: { disable_rules: [nope] }\n").contains("its rules: duplicate-of"))
    #expect(
      error("detectors:\n  scaffold_prefix: { labels: [\"two words\"] }\n").contains(
        "must start with a letter"))
    #expect(error("detectors:\n  producer_note: { phrases: [\"\"] }\n").contains("must not be empty"))
  }

  /// Values that would break a scan, and ids that would make two rows of one report, are
  /// refused where they stand.
  @Test func refusesValuesAndIdsThatWouldBreakAScan() {
    #expect(error("detectors:\n  disable:\n    - run-together\n    - nope\n").hasPrefix("rules.yaml:4:7:"))
    #expect(
      error("detectors:\n  near_duplicates: { shingle_words: 0 }\n").contains(
        "shingle_words must be at least 1"))
    #expect(error("detectors:\n  discovery: { min_share: -5 }\n").contains("min_share must be a share"))
    #expect(
      error("detectors:\n  discovery: { high_confidence_share: 7 }\n").contains("high_confidence_share"))
    let twice = "rules:\n  - { id: x, literal: a }\n  - { id: x, literal: b }\n"
    #expect(error(twice).hasPrefix("rules.yaml:3:"))
    #expect(error(twice).contains("already used by another rule"))
    #expect(error("rules:\n  - { id: scaffold-prefix, literal: a }\n").contains("a built-in check"))
    #expect(error("rules:\n  - { id: discovered, literal: a }\n").contains("a built-in check"))
    #expect(error("rules:\n  - { id: blank-line, literal: a }\n").contains("a built-in check"))
    #expect(error("rules:\n  - { id: y, literal: a }\n") == "no error")
    // A regex that can match nothing would flag every row.
    for empty in ["a*", "^", "\\\\b", "(?:x)?", "(?=A)"] {
      let message = error("rules:\n  - { id: e, regex: \"\(empty)\" }\n")
      #expect(
        message.hasPrefix("rules.yaml:2:") && message.contains("matches empty text"), "\(empty): \(message)")
    }
    #expect(error("rules:\n  - { id: e, regex: \"a+\" }\n") == "no error")
    #expect(error("rules:\n  - { id: e, where: think_start, regex: \"^Q[0-9]+ blend:\" }\n") == "no error")
  }
}

/// Tables of distinct keys stay bounded on a corpus whose openings are nearly all distinct,
/// and what a user looks for survives: the frequent openings with exact counts, and the
/// scaffolding family discovery reports.
@Suite struct BoundedMemoryTests {
  /// 2,000 rows: every fifth opens with a planted family, the rest with an opening of its own.
  func corpus(_ dir: TempDir, asText: Bool = false) -> String {
    var lines: [String] = []
    for i in 0..<2000 {
      let opening = i % 5 == 0 ? "Blend matrix \(i % 7) says " : "Thought \(i) about case \(i * 31 % 997): "
      let output =
        "<think>\n\(opening)the claim and the reference.\nUnique line number \(i) here.\n</think>\n\nDone."
      // Non-ASCII rows take the String path.
      lines.append(messagesRow("r\(i)", asText ? output + " é" : output))
    }
    return dir.file(asText ? "u.jsonl" : "c.jsonl", lines.joined(separator: "\n") + "\n")
  }

  @Test(arguments: [true, false]) func histogramAndShapesStayBounded(byteRows: Bool) async throws {
    let dir = TempDir()
    let path = corpus(dir, asText: !byteRows)
    var config = ScanConfiguration()
    config.maxDistinctOpenings = 64
    var scanner = CorpusScanner(configuration: config)
    scanner.usesByteRows = byteRows
    let report = try await scanner.scan(path: path, parallelism: 1)
    let unbounded = try await CorpusScanner().scan(path: path, parallelism: 1)
    // The whole histogram has 1,600 singletons plus the 7 family keys; the bounded one keeps
    // at most the capacity, and says how many rows' openings it left out.
    #expect(unbounded.openingHistogram.count > 1600 && unbounded.openingHistogramDropped == nil)
    #expect(report.openingHistogram.count <= 64)
    let dropped = try #require(report.openingHistogramDropped)
    #expect(report.openingHistogram.values.reduce(0, +) + dropped == 2000)
    // The frequent openings are all there, with exact counts.
    for (key, n) in unbounded.openingHistogram where n > 1 {
      #expect(report.openingHistogram[key] == n, "\(key)")
    }
    // Discovery still finds the planted family, counted exactly.
    let family = try #require(report.discovered.first { $0.shape == "blend matrix #" })
    #expect(family.count == 400)
    #expect(report.renderTable().contains("rare openings not listed"))
    // Shard reports sum what they dropped; the merge is bounded the same way.
    var shards: [ScanReport] = []
    for k in 1...2 { shards.append(try await scanner.scan(path: path, shard: (k, 2), parallelism: 1)) }
    let merged = try ShardMerger.merge(shards, configuration: config)
    #expect(merged.openingHistogram.count <= 64)
    #expect(merged.openingHistogram.values.reduce(0, +) + (merged.openingHistogramDropped ?? 0) == 2000)
    #expect(merged.discovered.first { $0.shape == "blend matrix #" }?.count == 400)
  }

  /// The exact-duplicate table keeps the first line of each hash through growth, including
  /// the hash 0 (its empty-slot mark) and lines past 32 bits.
  @Test func exactHashTableKeepsFirstLinesAsItGrows() {
    var table = ExactHashTable()
    let initial = table.capacity
    var rng = SystemRandomNumberGenerator()
    var firsts: [UInt64: Int] = [:]
    var hashes: [UInt64] = [0, 1 << 63, .max]
    for _ in 0..<20_000 { hashes.append(rng.next()) }
    for (i, hash) in hashes.enumerated() {
      let line = i == 1 ? Int(UInt32.max) + 7 : i + 1
      #expect(table.firstLine(hash: hash, line: line) == nil)
      firsts[hash] = line
    }
    #expect(table.count == hashes.count && table.capacity > initial)
    #expect(4 * table.count <= 3 * table.capacity)
    // Repeats answer the first line and record nothing.
    for (hash, line) in firsts {
      #expect(table.firstLine(hash: hash, line: 99) == line)
      #expect(table.line(of: hash) == line)
    }
    #expect(table.count == hashes.count)
    #expect(table.line(of: 0) == 1 && table.line(of: 1 << 63) == Int(UInt32.max) + 7)
    #expect(table.line(of: 12345) == nil || firsts[12345] != nil)
  }

  /// No piece of a large file is over the cap, so what a reader holds per row of its piece is
  /// bounded; the pieces still cover the range in order and shrink towards its end.
  @Test(arguments: [(40 << 30, 8), (3 << 30, 8), ((512 << 20) * 3, 8), (600 << 20, 1), (10 << 30, 3)])
  func guidedPiecesAreCapped(size: Int, count: Int) {
    let cap = 512 << 20
    let range = 11..<(11 + size)
    let pieces = ParallelLines.guidedPieces(of: range, count: count, maxPiece: cap)
    #expect(pieces.first?.lowerBound == range.lowerBound && pieces.last?.upperBound == range.upperBound)
    #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    #expect(pieces.allSatisfy { !$0.isEmpty && $0.count <= cap })
    #expect(pieces.count >= (size + cap - 1) / cap && pieces.count >= min(count, size >> 20))
    #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $1.count <= $0.count + 1 })
    if count > 1 { #expect(pieces.last!.count < cap / 4) }
    // Ranges whose first guided piece fits the cap are cut as before.
    #expect(
      ParallelLines.guidedPieces(of: 0..<(905 << 20), count: 8, maxPiece: cap)
        == ParallelLines.guidedPieces(of: 0..<(905 << 20), count: 8, maxPiece: .max))
  }

  /// Duplicate examples keep their rows' ids (read back by the offsets kept for them alone)
  /// when the copies fall in different pieces, on any number of threads.
  @Test func duplicateExamplesKeepTheirIDsAcrossPieces() async throws {
    let dir = TempDir()
    var lines = generatedCorpus(12_000).split(separator: "\n").map(String.init)
    var copies: [(line: Int, original: Int)] = []
    for k in 0..<8 {
      // A copy of row 100·k (a new id, the same text) about every 1,400 lines.
      let at = 1400 * (k + 1) + k
      let original = 100 * k
      lines.insert(
        lines[original].replacingOccurrences(of: "\"row-\(original)\"", with: "\"copy-\(k)\""), at: at)
      copies.append((at + 1, original + 1))
    }
    let path = dir.file("c.jsonl", lines.joined(separator: "\n") + "\n")
    for parallelism in [1, 3] {
      let report = try await CorpusScanner().scan(path: path, parallelism: parallelism)
      let dups = try #require(report.detectors.first { $0.id == "exact-duplicate" })
      #expect(dups.rows == 8)
      #expect(dups.examples.map(\.id) == (0..<5).map { "copy-\($0)" })
      #expect(dups.examples.map(\.line) == copies.prefix(5).map(\.line))
      #expect(dups.examples.map(\.evidence) == copies.prefix(5).map { "same as line \($0.original)" })
    }
  }

  @Test func theRarestKeysGoFirst() {
    var table = ["a": 9, "b": 1, "c": 1, "d": 5, "e": 2]
    #expect(BoundedTally.prune(&table, capacity: 4) == 4)  // b, c and e: 1 + 1 + 2 rows
    #expect(table == ["a": 9, "d": 5])
    #expect(BoundedTally.prune(&table, capacity: 4) == 0)
    #expect(BoundedTally.threshold([3, 3, 3], keeping: 1) == 3)
  }
}

/// Chat lists written with the other layout's keys: `conversations` of `{role, content}` (as
/// many chat datasets hold them) and `messages` of `{from, value}` are read, not malformed.
@Suite struct ChatListKeyTests {
  static func conversationsRow(_ id: String, _ output: String) -> String {
    "{\"id\":\(lit(id)),\"conversations\":[{\"role\":\"user\",\"content\":\"Question?\"},{\"role\":\"assistant\",\"content\":\(lit(output))}]}"
  }

  @Test func eitherListTakesEitherKeys() throws {
    func parse(_ json: String) -> Result<CorpusRow, LineIssue> {
      CorpusRowParser().parse(JSONLLine(number: 1, offset: 0, bytes: Array(json.utf8)[...]))
    }
    let conv = try parse(Self.conversationsRow("c", "<think>r</think>a")).get()
    #expect(conv.shape == .conversations && conv.modelText == "<think>r</think>a")
    let msgs = try parse(#"{"messages":[{"from":"human","value":"q"},{"from":"gpt","value":"a"}]}"#).get()
    #expect(msgs.shape == .messages && msgs.modelText == "a" && msgs.allText == "q\na")
    // A message with neither key is still named by its list's own key.
    guard case .failure(let issue) = parse(#"{"conversations":[{"value":"q"}]}"#) else {
      Issue.record("expected a missing field")
      return
    }
    #expect(issue.kind == .missingField("conversations.0.from"))
  }

  @Test func scanAndRepairReadThem() async throws {
    let dir = TempDir()
    var lines: [String] = []
    for i in 0..<12 {
      let think =
        "<think>\nA\(i % 3 + 1) spice combinator: step \(i) weighs \(i * 37) grams\n</think>\n\nDone \(i)."
      var line = Self.conversationsRow("r\(i)", think)
      // An escaped blank inside the prefix: the escapes that make it are cut, in place.
      if i == 0 { line = line.replacingOccurrences(of: "A1 spice", with: "A1\\u0020spice") }
      lines.append(line)
    }
    let path = dir.file("c.jsonl", lines.joined(separator: "\n") + "\n")
    for report in try await scanBothWays(path) {
      #expect(report.malformedLines == 0)
      #expect(report.detectors.first { $0.id == "scaffold-prefix" }?.rows == 12)
    }
    let (summary, _) = try await CorpusCleaner(repair: true).clean(
      path: path, cleanOut: dir.path("clean.jsonl"), quarantineOut: dir.path("q.jsonl"),
      auditOut: dir.path("audit.jsonl"))
    #expect(summary.lines == 12 && summary.repaired == 12 && summary.quarantined == 0)
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8)
    #expect(!clean.contains("spice combinator"))
    #expect(
      clean.split(separator: "\n").first.map(String.init)
        == lines[0].replacingOccurrences(of: "A1\\u0020spice combinator: ", with: ""))
    let audit = try String(contentsOfFile: dir.path("audit.jsonl"), encoding: .utf8)
    #expect(!audit.contains("\"rewritten\":true"))
  }
}
