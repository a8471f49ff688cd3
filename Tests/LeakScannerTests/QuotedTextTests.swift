import Foundation
import TestSupport
import Testing

@testable import LeakScanner

/// Text a row quotes (inline code, a line of its own prompt) is the row's, however often it
/// recurs; a pipeline's row keys and headings are its stamps.
@Suite struct QuotedTextTests {
  /// A `{messages}` corpus of `n` rows whose reasoning is a natural opening, a body, `extra(i)`
  /// on lines of its own and a random case number; its answer is `answer(i)`, its prompt
  /// `prompt(i)`.
  static func corpus(
    _ n: Int, prompt: (Int) -> String = { "Question \($0)?" }, extra: (Int) -> [String],
    answer: (Int) -> String = { "Answer \($0)." }
  ) -> String {
    var rng = SystemRandomNumberGenerator()
    var lines: [String] = []
    for i in 0..<n {
      let body = bodies[(i * 7) % bodies.count]
      let case_ =
        "Case \(Int.random(in: 0...1_000_000, using: &rng)) needs \(Int.random(in: 2...500, using: &rng)) checks."
      let think = ([naturalOpenings[i % naturalOpenings.count] + body] + extra(i) + [case_]).joined(
        separator: "\n")
      lines.append(messagesRow("row-\(i)", "<think>\n\(think)\n</think>\n\n\(answer(i))", prompt: prompt(i)))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The confident discovered shapes of the corpus, read on bytes and through `RowContext`
  /// (the two must agree).
  static func confidentShapes(_ path: String) async throws -> [String] {
    let reports = try await scanBothWays(path)
    let both = reports.map { $0.discovered.filter(\.highConfidence).map(\.shape).sorted() }
    #expect(both[0] == both[1])
    return both[0]
  }

  @Test func settingsInInlineCodeAreTheTextsCode() async throws {
    let dir = TempDir()
    let quoted = [
      "Use `open(path, mode=\"w\")` to write the file.", "The docs say `top_p=0.9` is the default behaviour.",
      "Pass `seed=42` and `temperature=0.7` to the sampler.", "Here $x=3$ and the mode is the peak.",
    ]
    let path = dir.file(
      "c.jsonl", Self.corpus(1000) { i in i % 3 == 0 ? [quoted[i % 4], quoted[(i + 1) % 4]] : [] })
    #expect(try await Self.confidentShapes(path) == [])
    #expect(try await defaultCleanCounts(path).quarantined == 0)
    // The same settings written bare are a generator's: confident, and `clean` takes their rows.
    let bare = dir.file(
      "bare.jsonl", Self.corpus(1000) { i in i % 3 == 0 ? ["sampling: top_p=0.9 mode=creative"] : [] })
    #expect(try await Self.confidentShapes(bare).contains("sampling: top_p=#.# mode=creative"))
    #expect(try await defaultCleanCounts(bare).quarantined == 334)
  }

  /// Reasoning that opens with inline code (`` `top_p=0.9` keeps …``) opens with the text's
  /// code: no confident family.
  @Test func openingsOfInlineCodeAreTheTexts() async throws {
    let dir = TempDir()
    let openings = ["`top_p=0.9` keeps the likeliest tokens, so ", "`open(path, mode=\"w\")` truncates, so "]
    let path = dir.file("c.jsonl", generatedCorpus(1000) { i in i % 3 == 0 ? openings[i % 2] : nil })
    let confident = try await Self.confidentShapes(path)
    #expect(confident == [], "\(confident)")
    #expect(try await defaultCleanCounts(path).quarantined == 0)
    // Written bare, the setting opening the reasoning is a generator's.
    let bare = dir.file("bare.jsonl", generatedCorpus(1000) { i in i % 3 == 0 ? "top_p=0.9 so " : nil })
    #expect(try await Self.confidentShapes(bare) != [])
  }

  @Test func inCodeSpanMarksBackticksAndMathNotPrices() {
    let tokens = ["use", "`open(path,", "mode=\"w\")`", "to", "$x=#$", "at", "$#", "each", "`a`", "b"]
    #expect(
      Discovery.inCodeSpan(tokens) == [false, true, true, false, true, false, false, false, true, false])
    // A mark left open covers nothing; a dollar sign alone or after a number is a price.
    #expect(
      Discovery.inCodeSpan(["costs", "$", "#", "then", "[variant", "#]"]) == Array(repeating: false, count: 6)
    )
    #expect(
      Discovery.inCodeSpan(["#$", "or", "`variant", "#`", "is", "`odd"]) == [
        false, false, true, true, false, false,
      ])
    // Every check reads inline code as a plain word: a label and its number in it is no stamp.
    #expect(Discovery.unnaturalness("`variant #` is deprecated.", kind: .repeatedLine) < 0.8)
    #expect(Discovery.unnaturalness("costs $ # then [variant #]", kind: .repeatedLine) == 1)
    // A label and its number between like rules is a heading; after an edge, a stamp.
    #expect(Discovery.unnaturalness("--- variant # ---", kind: .repeatedLine) < 0.8)
    #expect(Discovery.unnaturalness("— remix #", kind: .repeatedLine) == 0.8)
  }

  @Test func linesQuotedFromThePromptAreThePrompts() async throws {
    let dir = TempDir()
    func log(_ i: Int) -> String { "[shard \(i % 8 + 1)/8] loaded \(1000 + i % 50) records" }
    let path = dir.file(
      "c.jsonl",
      Self.corpus(
        1000, prompt: { "Why did the job stall?\n\n\(log($0))\n[worker 2/4] done" },
        extra: { i in [log(i), "The line \"\(log(i))\" shows the shard loaded."] }))
    #expect(try await Self.confidentShapes(path) == [])
    #expect(try await defaultCleanCounts(path).quarantined == 0)
    // The same line in the reasoning alone, not the prompt's, is a stamp.
    let planted = dir.file("p.jsonl", Self.corpus(1000) { i in i % 3 == 0 ? [log(i)] : [] })
    #expect(try await Self.confidentShapes(planted) != [])
    #expect(try await defaultCleanCounts(planted).quarantined == 334)
    // A stamp of the generator's words in the prompt and the reasoning alike is still its stamp.
    let stamped = dir.file(
      "s.jsonl",
      Self.corpus(
        1000,
        prompt: { i in
          i % 3 == 0 ? "[variant \(i % 7)] You are a helpful assistant.\nQuestion \(i)?" : "Question \(i)?"
        },
        extra: { i in i % 3 == 0 ? ["[variant \(i % 7)] You are a helpful assistant."] : [] }))
    #expect(try await defaultCleanCounts(stamped).quarantined == 334)
    // An instruction to the writer in the prompt and the reasoning alike is still found.
    let told = dir.file(
      "told.jsonl",
      Self.corpus(
        1000, prompt: { "Remember to sound natural and human. Question \($0)?" },
        extra: { i in i % 4 == 0 ? ["Remember to sound natural and human."] : [] }))
    for report in try await scanBothWays(told) {
      #expect(
        report.discovered.contains { $0.shape == "remember to sound natural and human." && $0.count == 250 })
    }
  }

  /// A row's key and a number as a tag or JSON (`{"seed": 1234}`, `[[id:4821]]`) with numbers
  /// new on every row ranks high with its distinct numbers, for the user to accept: never
  /// confident (a database's records and an experiment's configs are written so too).
  @Test func rowKeysWithNewNumbersAreListedHigh() async throws {
    let dir = TempDir()
    let stamps: [(String, String, (Int) -> String)] = [
      ("json", "{\"seed\": #}", { "{\"seed\": \($0)}" }),
      ("id", "[id:#]", { "[[id:\($0)]] " + Self.words($0) }),
    ]
    for (name, shape, stamp) in stamps {
      var rng = SystemRandomNumberGenerator()
      let fresh = dir.file(
        "\(name).jsonl",
        Self.corpus(1000) { i in i % 3 == 0 ? [stamp(Int.random(in: 1000...999_999, using: &rng))] : [] })
      let reports = try await scanBothWays(fresh)
      for report in reports {
        let c = try #require(report.discovered.first { $0.shape == shape }, "\(name)")
        #expect(c.count == 334 && c.unnaturalness == Discovery.slotLabelUnnaturalness && !c.highConfidence)
        #expect((c.distinctNumbers ?? 0) > 300)
      }
      #expect(try await defaultCleanCounts(fresh).quarantined == 0)
      // The same key with one number on every row ranks low.
      let constant = dir.file("\(name)-42.jsonl", Self.corpus(1000) { i in i % 3 == 0 ? [stamp(42)] : [] })
      let report = try await CorpusScanner().scan(path: constant)
      #expect(!report.discovered.contains { $0.shape == shape && $0.unnaturalness >= 0.7 }, "\(name)")
    }
  }

  /// Three words picked by `n`, new text on nearly every row.
  static func words(_ n: Int) -> String {
    let pool = [
      "ledger", "amber", "quartz", "saddle", "tundra", "violet", "copper", "meadow", "harbor", "lantern",
    ]
    return [pool[n % 10], pool[n / 10 % 10], pool[n / 100 % 10]].joined(separator: " ")
  }

  @Test func shapesOfRowKeys() {
    for shape in ["{\"seed\": #}", "{\"seed\":#}", "[id:#]", "[[id:#]]", "{seed:#}", "[sample:#]"] {
      #expect(Discovery.isKeyedNumberTag(shape), "\(shape)")
    }
    for shape in ["{\"id\": #, \"name\": #}", "(id:#)", "{\"price\": #}", "[note:#]", "[id #]", "(sample #)"]
    {
      #expect(!Discovery.isKeyedNumberTag(shape), "\(shape)")
    }
  }

  /// An answer's first line that heads it with a label and a number (`### Variant 3`, `---
  /// sample 7 ---`, `Rewrite #12:`) is counted and listed; a catalog's or a genome's headings
  /// are written the same, so none is confident.
  @Test func numberedHeadingsOfAnswersAreListed() async throws {
    let dir = TempDir()
    let heads = [
      "### Variant \(Int.random(in: 1...9))", "--- sample \(Int.random(in: 1...9)) ---",
      "Rewrite #\(Int.random(in: 10...99)):",
    ]
    let path = dir.file(
      "c.jsonl",
      Self.corpus(
        1200, extra: { _ in [] },
        answer: { i in i % 4 == 0 ? "\(heads[i / 4 % 3])\nAnswer \(i)." : "Answer \(i)." }))
    let reports = try await scanBothWays(path)
    for report in reports {
      for shape in ["### variant #", "--- sample # ---", "rewrite ##:"] {
        let c = try #require(report.discovered.first { $0.shape == shape }, "\(shape)")
        #expect(c.count == 100 && !c.highConfidence)
      }
    }
    // A numbered sentence opening every answer (`Answer 3: the sum is …`) is no heading.
    let sentences = dir.file(
      "s.jsonl", Self.corpus(1000, extra: { _ in [] }, answer: { i in "Answer \(i): the sum is \(i * 7)." }))
    #expect(
      try await CorpusScanner().scan(path: sentences).discovered.allSatisfy { !$0.shape.hasPrefix("answer") })
  }
}

extension QuotedTextTests {
  /// A pipeline's grade of each row (`difficulty: hard` / `medium` / `easy`) is one slot's
  /// family, listed high as other labels' slots are, not three shapes ranked low.
  @Test func aGradesValuesAreOneFamily() async throws {
    let dir = TempDir()
    let grades = ["hard", "medium", "easy"]
    let path = dir.file(
      "c.jsonl", Self.corpus(1000) { i in i % 3 == 0 ? ["difficulty: \(grades[i % 9 / 3])"] : [] })
    let report = try await CorpusScanner().scan(path: path)
    let family = try #require(report.discovered.first { $0.shape == "difficulty: *" })
    #expect(family.count == 334)
    #expect(family.values?.sorted() == grades.sorted())
    #expect(!family.highConfidence)
  }
}

/// A template's letter after one of the generator's labels (`Prompt template B:` … `F:`) is one
/// family, listed high; accepted, its rule takes exactly its rows.
@Suite struct LetterSlotTests {
  @Test func aTemplatesLettersAreOneFamily() async throws {
    let dir = TempDir()
    let letters = ["B", "C", "D", "E", "F"]
    let path = dir.file(
      "c.jsonl", generatedCorpus(1000) { i in i % 5 < 2 ? "Prompt template \(letters[i % 7 % 5]): " : nil })
    for report in try await scanBothWays(path) {
      let family = try #require(report.discovered.first { $0.shape == "prompt template X: …" })
      #expect(family.count == 400 && family.unnaturalness == Discovery.slotLabelUnnaturalness)
      #expect(family.values?.sorted() == ["b", "c", "d", "e", "f"])
      #expect(!family.highConfidence)
      #expect(try await acceptedRows(family.rule(), in: path) == 400)
    }
    #expect(try await defaultCleanCounts(path).quarantined == 0)
    // Written in lower case, the rule takes them too.
    let lower = dir.file(
      "lower.jsonl",
      generatedCorpus(1000) { i in i % 5 < 2 ? "prompt template \(letters[i % 7 % 5].lowercased()): " : nil })
    let report = try await CorpusScanner().scan(path: lower)
    let family = try #require(report.discovered.first { $0.shape == "prompt template X: …" })
    #expect(try await acceptedRows(family.rule(), in: lower) == 400)
  }

  @Test func sectionLettersAreNoFamily() async throws {
    #expect(Discovery.letterSlot(ofShape: "prompt template b:")?.family == "prompt template X: …")
    #expect(Discovery.letterSlot(ofShape: "variant c: okay,")?.family == "variant X: …")
    for shape in ["plan b: we", "option c: the", "b: the answer", "part a: find", "template #: the"] {
      #expect(Discovery.letterSlot(ofShape: shape) == nil, "\(shape)")
    }
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1000) { i in i % 5 < 2 ? ["Plan B: ", "Option C: ", "Part A: "][i % 3] : nil })
    let report = try await CorpusScanner().scan(path: path)
    #expect(!report.discovered.contains { $0.shape.contains(" X: …") })
  }
}

extension QuotedTextTests {
  /// Answers and reasoning that cite the record their prompt names (`Record [id:48213]
  /// changed.`) write the domain's key, not a stamp: no confident candidate, and neither a
  /// default clean nor `--accept-discovered` takes a row (a default clean used to quarantine
  /// all of them).
  @Test func aRecordCitedFromThePromptIsTheDomains() async throws {
    let dir = TempDir()
    var rng = SystemRandomNumberGenerator()
    let ids = (0..<1200).map { _ in Int.random(in: 1000...99_999, using: &rng) }
    let sentences = [
      "The record [id:%d] was updated after the migration.", "So the row [id:%d] is the duplicate to drop.",
    ]
    let path = dir.file(
      "c.jsonl",
      Self.corpus(
        1200, prompt: { i in "Which records changed? Row [id:\(ids[i])] looks odd." },
        extra: { i in i % 4 == 0 ? [String(format: sentences[i / 4 % 2], ids[i])] : [] },
        answer: { i in "Record [id:\(ids[i])] changed." }))
    let reports = try await scanBothWays(path)
    #expect(reports[0].discovered == reports[1].discovered)
    #expect(
      reports[0].discovered.allSatisfy { !$0.highConfidence && !$0.acceptable }, "\(reports[0].discovered)")
    #expect(try await defaultCleanCounts(path).quarantined == 0)
    #expect(try await cleanCounts(path, acceptDiscovered: true).quarantined == 0)
  }
}
