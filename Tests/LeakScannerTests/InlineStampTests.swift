import Foundation
import TestSupport
import Testing

@testable import LeakScanner

/// Stamps a pipeline writes inside a line, not on a line of their own: after the line's last
/// sentence (`… is odd. Persona: P123`) or in a template's double angle brackets (`<<seed
/// 12>>`). Discovery counts them as it counts bracketed fragments.
@Suite struct InlineStampTests {
  func stamps(_ line: String) -> String? {
    var bytes = Array(line.utf8)
    return bytes.withUnsafeMutableBufferPointer { b in
      let piece = UnsafeBufferPointer(b)
      return DiscoveryStats.trailingStamp(of: piece).map { String(decoding: piece[$0], as: UTF8.self) }
    }
  }

  func fragments(_ line: String) -> [String] {
    found(in: line) { DiscoveryStats.forEachFragment(in: $0, $1) }
  }

  @Test func aLabelOrSettingAfterTheLastSentenceIsAStamp() {
    #expect(stamps("So the sum of two primes is odd. Persona: P123") == "Persona: P123")
    #expect(stamps("The claim recites a latch. persona=lawyer  ") == "persona=lawyer")
    #expect(stamps("We add them! Variant: 3.") == "Variant: 3.")
    // No label's colon or setting after the last sentence, too long, or no sentence before.
    #expect(stamps("So the sum is odd. Then we check the latch again.") == nil)
    #expect(stamps("Persona: P123") == nil)
    #expect(stamps("The ratio is 3:2 here. So x = 5 and y = 7 hold.") == nil)
    #expect(stamps("So it holds. Note: this follows from the lemma we proved two steps back.") == nil)
    #expect(stamps("Given a = 3. Then b = 4") == nil)
    // A label and its number without a colon, after a sentence or a dash.
    #expect(stamps("So the sum of two primes is odd — remix 12") == "remix 12")
    #expect(stamps("So the sum of two primes is odd. Seed 44, variant 3.") == "Seed 44, variant 3.")
    #expect(stamps("So the sum of two primes is odd — as expected") == nil)
    #expect(stamps("So the sum of two primes is odd. Then 12 more.") == nil)
    #expect(Discovery.unnaturalness("seed #, variant #.", kind: .repeatedLine) >= 0.8)
    #expect(Discovery.unnaturalness("remix #", kind: .repeatedLine) >= 0.8)
    #expect(Discovery.unnaturalness("— remix #", kind: .repeatedLine) >= 0.8)
    #expect(Discovery.unnaturalness("batch # is next.", kind: .repeatedLine) < 0.8)
  }

  @Test func doubleAngleBracketsAreFragments() {
    #expect(fragments("So the sum <<seed 12>> is odd.") == ["<<seed 12>>"])
    #expect(fragments("Okay <<persona-B>> the claim") == ["<<persona-B>>"])
    #expect(fragments("std::cout << x >> y;").isEmpty)
    #expect(fragments("cat <<EOF > out.txt").isEmpty)
    // A generator's tag in single angle brackets; markup's tags are not fragments.
    #expect(fragments("So the sum <gen id=12> is odd.") == ["<gen id=12>"])
    #expect(fragments("Okay <synthetic> the claim") == ["<synthetic>"])
    for markup in ["the <b>bold</b> text", "see <div class=x> here", "if a < b and c > d", "<generic> type"] {
      #expect(fragments(markup).isEmpty, "\(markup)")
    }
    #expect(Discovery.unnaturalness("<<seed #>>", kind: .repeatedLine) >= 0.8)
    #expect(Discovery.unnaturalness("<<persona-X>>", kind: .repeatedLine) >= 0.8)
    #expect(Discovery.unnaturalness("<<bonjour>>", kind: .repeatedLine) < 0.8)
  }

  /// A stamp after the last sentence of a line, or in double angle brackets inside one, on 30%
  /// of the rows is found and quarantined, with the rows' other lines varying; a natural last
  /// sentence recurring as often (`Answer: 42`) is listed at most.
  @Test func inlineStampsAreFoundAndCleaned() async throws {
    let dir = TempDir()
    for stamp in ["Persona: P\(7)", "<<seed 41>>"] {
      let path = dir.file(
        "c\(stamp.count).jsonl",
        generatedCorpus(1000) { i in
          let words = [
            "claim", "latch", "housing", "sum", "ratio", "lemma", "prime", "order", "motion", "lease",
          ]
          let varying = (0..<6).map { words[(i / (1 + $0 * 3) + $0) % words.count] }.joined(separator: " ")
          return switch i % 10 {
          case 0, 1, 2: "Okay, so the \(varying) is read first. \(stamp)\nThen "
          case 3, 4, 5: "Okay, so the \(varying) total is read. Answer: 42\nThen "
          default: nil
          }
        })
      let reports = try await scanBothWays(path)
      #expect(reports[0].discovered == reports[1].discovered)
      let confident = reports[0].discovered.filter(\.highConfidence)
      #expect(confident.count == 1 && confident[0].count == 300, "\(stamp): \(confident.map(\.shape))")
      #expect(reports[0].discovered.contains { $0.shape == "answer: #" && !$0.highConfidence })
      let counts = try await defaultCleanCounts(path)
      #expect(counts.quarantined == 300 && counts.clean == 700, "\(stamp)")
    }
  }

  /// A stamp in the answer, after the reasoning, on its own line or after the answer's last
  /// sentence, is found on both paths and cleaned; the answer's prose lines and a shop's
  /// product variant in parentheses are not.
  @Test func stampsInTheAnswerAreFoundAndCleaned() async throws {
    let dir = TempDir()
    for stamp in ["\n[shard 3/64]", " SRC=synthetic", "\n<<seed 41>>", " Persona: P7"] {
      var rows: [String] = []
      for i in 0..<1000 {
        let words = [
          "claim", "latch", "housing", "sum", "ratio", "lemma", "prime", "order", "motion", "lease",
        ]
        let varying = (0..<6).map { words[(i / (1 + $0 * 3) + $0) % words.count] }.joined(separator: " ")
        let answer =
          i % 10 < 3
          ? "The \(varying) holds.\(stamp)" : "The \(varying) holds (variant \(i % 5)) as sold."
        rows.append(messagesRow("r\(i)", "<think>\nOkay, so the \(varying) is read.\n</think>\n\n\(answer)"))
      }
      let path = dir.file("c\(stamp.count).jsonl", rows.joined(separator: "\n") + "\n")
      let reports = try await scanBothWays(path)
      #expect(reports[0].discovered == reports[1].discovered)
      let confident = reports[0].discovered.filter(\.highConfidence)
      #expect(confident.count == 1 && confident.first?.count == 300, "\(stamp): \(confident.map(\.shape))")
      let counts = try await defaultCleanCounts(path)
      #expect(counts.quarantined == 300 && counts.clean == 700, "\(stamp)")
    }
    #expect(Discovery.unnaturalness("(variant #)", kind: .repeatedLine) < 0.8)
    #expect(Discovery.unnaturalness("(variant X#)", kind: .repeatedLine) >= 0.8)
    #expect(Discovery.unnaturalness("(remix #)", kind: .repeatedLine) >= 0.8)
  }

  /// A hashtag of a generator's label, a row marked as synthetic and a setting whose value is a
  /// hex id are stamps; ids group as one shape whatever their digits.
  @Test func hashtagsSyntheticMarksAndHexIdsAreStamps() {
    #expect(Discovery.unnaturalness("#variant-#", kind: .repeatedLine) >= 0.8)
    #expect(Discovery.unnaturalness("#remix-contest", kind: .repeatedLine) < 0.8)
    #expect(Discovery.unnaturalness("join the #remix-contest today!", kind: .repeatedLine) < 0.8)
    #expect(Discovery.unnaturalness("#teamwork and #goals", kind: .repeatedLine) < 0.8)
    #expect(Discovery.unnaturalness("(synthetic example)", kind: .repeatedLine) >= 0.8)
    #expect(Discovery.unnaturalness("(synthetic rubber)", kind: .repeatedLine) < 0.8)
    #expect(Discovery.unnaturalness("(synthetic data)", kind: .repeatedLine) < 0.8)
    #expect(Discovery.lineShape("uid=3fa1b2c4") == "uid=#")
    #expect(Discovery.lineShape("uid=f3975f52") == "uid=#")
    #expect(Discovery.unnaturalness("uid=#", kind: .repeatedLine) >= 0.8)
    #expect(Discovery.unnaturalness("p=#.#", kind: .repeatedLine) < 0.8)
  }

  /// Repeated lines stay bounded when every row brings new short lines: the byte tally and the
  /// `String` path both drop the rarest shapes past the capacity and keep a frequent stamp's
  /// count exact.
  @Test(arguments: [true, false]) func lineShapesStayBoundedAndAFrequentStampExact(byteRows: Bool)
    async throws
  {
    let words = ["claim", "latch", "housing", "sum", "ratio", "lemma", "prime", "order", "motion", "lease"]
    var rows: [String] = []
    for i in 0..<900 {
      let fresh = (0..<3).map { k in
        (0..<4).map { words[(i * 7 + k * 3 + $0 * (i % 9 + 1)) % words.count] }.joined(separator: " ")
          + " q\(String(i * 3 + k, radix: 26))"
      }
      var think = "Okay, so the claim is read.\n" + fresh.joined(separator: "\n") + "\n"
      if i % 3 == 0 { think += "[variant 3]\n" }
      rows.append(messagesRow("r\(i)", "<think>\n\(think)</think>\n\nDone."))
    }
    let dir = TempDir()
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    var config = ScanConfiguration()
    config.maxDistinctOpenings = 64
    var scanner = CorpusScanner(configuration: config)
    scanner.usesByteRows = byteRows
    let report = try await scanner.scan(path: path, parallelism: 1)
    let stamp = try #require(report.discovered.first { $0.shape == "[variant #]" })
    #expect(stamp.count == 300 && stamp.highConfidence)
    #expect(stamp.exampleLines == [1, 4, 7, 10, 13])
  }

  func settings(_ line: String, fromStart: Bool = true) -> [String] {
    found(in: line) { DiscoveryStats.forEachInlineSetting(in: $0, fromStart: fromStart, $1) }
  }

  func hashtags(_ line: String, fromStart: Bool = true) -> [String] {
    found(in: line) { DiscoveryStats.forEachInlineHashtag(in: $0, fromStart: fromStart, $1) }
  }

  /// Inside a sentence, a setting that marks the row as made whatever its key, a row id's key
  /// with a hex id, and a hashtag of one of the generator's labels joined to its value are
  /// stamps; prose's settings, ids and hashtags are not.
  @Test func madeMarksRowIdsAndLabelHashtagsInsideALineAreStamps() throws {
    #expect(settings("So the claim SRC=synthetic recites a latch.") == ["SRC=synthetic"])
    #expect(settings("the sum origin=generated, then") == ["origin=generated"])
    #expect(settings("the sum uid=3fa1b2c4 holds") == ["uid=3fa1b2c4"])
    #expect(settings("the sum id=f3975f52. Next") == ["id=f3975f52"])
    for prose in [
      "we set id=42 for the run", "the user_id=3fa1b2c4 row", "x=synthetic here", "the id=abcdefgh row",
      "mode=auto then", "src=\"synthetic\" is read", "python train.py data=synthetic model=resnet50",
    ] {
      #expect(settings(prose).isEmpty, "\(prose)")
    }
    #expect(hashtags("So the claim #variant-3 recites a latch.") == ["#variant-3"])
    #expect(hashtags("odd #persona_b. Next") == ["#persona_b"])
    #expect(hashtags("#remix-4 then the rest", fromStart: false).isEmpty)
    // Every word a hashtag is judged a generator's by is counted inside a sentence too.
    for word in Discovery.generatorWords.sorted() {
      #expect(hashtags("So the claim #\(word)-3 recites a latch.") == ["#\(word)-3"], "\(word)")
      #expect(Discovery.isGeneratorHashtag("#\(word)-#"), "\(word)")
    }
    for prose in [
      "#teamwork makes it", "## Plan", "the #variant here", "issue #123 again", "C# is a language",
      "join #remix-contest now", "the #remix-2024 entries",
    ] {
      #expect(hashtags(prose).isEmpty, "\(prose)")
    }
    #expect(stamps("So the sum of two primes is odd. #variant-3") == "#variant-3")
    #expect(stamps("So the sum of two primes is odd. remix_12") == "remix_12")
    // A generator's word joined to an id in brackets is its stamp, however the id's letters fall.
    #expect(Discovery.unnaturalness("[[gen:#f#a]]", kind: .repeatedLine) >= 0.8)
    #expect(Discovery.unnaturalness("[genome #]", kind: .repeatedLine) < 0.8)
    #expect(Discovery.unnaturalness("(generation #)", kind: .repeatedLine) < 0.8)
    for prose in ["(variant-level fdr #%)", "(persona-based study, # users)", "(generator-based, # runs)"] {
      #expect(Discovery.unnaturalness(prose, kind: .repeatedLine) < 0.8, "\(prose)")
    }
    // A setting's family rule takes the key as a word of its own.
    let setting = try #require(Discovery.labelSlotRegex(family: "variant=*", values: ["debug"]))
    #expect(
      try Pattern(setting, caseInsensitive: true).firstMatch(in: "the productVariant=debug build") == nil)
    #expect(try Pattern(setting, caseInsensitive: true).firstMatch(in: "the variant=debug build") != nil)
  }

  /// A generator label's setting written as a word inside a sentence is a stamp; code, other
  /// settings and bracketed ones (fragments) are not read as one.
  @Test func aLabelsSettingInsideALineIsAStamp() {
    #expect(settings("So the claim persona=nurse recites a latch.") == ["persona=nurse"])
    #expect(settings("the sum variant_id=B7, then two primes") == ["variant_id=B7"])
    #expect(settings("odd. Remix=12. Next") == ["Remix=12"])
    #expect(settings("persona=chef then the rest") == ["persona=chef"])
    #expect(settings("persona=chef then the rest", fromStart: false).isEmpty)
    for prose in [
      "we set seed=42 for the run", "x=5 so y=6", "cfg(variant=\"a\") is called", "persona = p here",
      "[persona=nurse] is a fragment", "the persona=\"nurse\" value", "a variant== b", "genome=hg38 is read",
    ] {
      #expect(settings(prose).isEmpty, "\(prose)")
    }
  }

  /// Found in a corpus it was never told about: a setting with a handful of values in the
  /// middle of 30 % of rows' reasoning is confident and `clean` quarantines exactly those rows.
  @Test func aSettingInsideTheReasoningIsFoundAndCleaned() async throws {
    let values = ["nurse", "lawyer", "teacher", "chef", "pilot"]
    let words = ["the", "claim", "recites", "a", "housing", "and", "latch", "so", "we", "consider", "sum"]
    var rows: [String] = []
    var planted = 0
    for i in 0..<1000 {
      var state = UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
      var sentence = (0..<14).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return words[Int(state >> 33) % words.count]
      }
      if i % 10 < 3 {
        sentence.insert("persona=\(values[(i / 10) % values.count])", at: 5)
        planted += 1
      }
      rows.append(
        messagesRow("r\(i)", "<think>\nOkay, so \(sentence.joined(separator: " ")).\n</think>\nDone."))
    }
    let dir = TempDir()
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    let report = try await CorpusScanner().scan(path: path, parallelism: 2)
    // One family of the label's values, not a candidate per value.
    let found = report.discovered.filter { $0.shape.hasPrefix("persona=") }
    #expect(
      found.count == 1 && found.allSatisfy(\.highConfidence) && found.first?.shape == "persona=*"
        && Set(found.first?.values ?? []) == Set(values),
      "\(report.discovered.map { ($0.shape, $0.count, $0.highConfidence) }) \(report.detectors.filter { $0.rows > 0 }.map { ($0.id, $0.rows) })"
    )
    #expect(found.first?.count == planted)
    let counts = try await defaultCleanCounts(path)
    #expect(
      counts.quarantined == planted && counts.clean == 1000 - planted,
      "\(counts) \(planted) \(report.detectors.filter { $0.rows > 0 }.map { ($0.id, $0.rows) })")
  }

  /// One of the generator's labels with a one-word value (`Persona: nurse.`) is a template's
  /// slot; a shop's or a plant's label (`Variant: blue.`), a value of several words, an
  /// everyday label and a tag are not read so.
  @Test func aLabelsOneWordValueIsATemplatesSlot() throws {
    // Listed high, not confident alone: a domain writes such lines too (`Persona: developer.`).
    #expect(
      Discovery.unnaturalness("persona: nurse.", kind: .repeatedLine) == Discovery.slotLabelUnnaturalness)
    #expect(
      Discovery.unnaturalness("archetype: sage", kind: .repeatedLine) == Discovery.slotLabelUnnaturalness)
    #expect(Discovery.labelSlot(ofLineShape: "persona: type-X.") == nil)
    for prose in ["variant: blue.", "generator: diesel.", "answer: yes.", "persona: a patent examiner."] {
      #expect(Discovery.labelSlot(ofLineShape: prose) == nil, "\(prose)")
      #expect(Discovery.unnaturalness(prose, kind: .repeatedLine) < 0.8, "\(prose)")
    }
    for shape in ["persona: x#", "[persona: nurse]", "persona:nurse", "persona: #.", "seed=blue"] {
      #expect(Discovery.labelSlot(ofLineShape: shape) == nil, "\(shape)")
    }
    #expect(Discovery.labelSlot(ofLineShape: "persona: nurse.")?.family == "persona: *.")
    #expect(Discovery.labelSlot(ofLineShape: "persona: nurse.")?.value == "nurse")
    #expect(Discovery.labelSlot(ofLineShape: "variant_id=blue")?.family == "variant_id=*")
    // Past 64 values the family's rule takes any word.
    let many = (0..<70).map { "v\(String(repeating: "a", count: $0 % 7 + 1))x\($0)" }
    let anyWord = try Pattern(
      #require(Discovery.labelSlotRegex(family: "persona: *.", values: many)), caseInsensitive: true)
    #expect(anyWord.firstMatch(in: "So it holds. Persona: Zürich.") != nil)
    #expect(anyWord.firstMatch(in: "Persona: two words.") == nil)
    // The family's rule takes its values as whole words, in any case, and nothing else.
    let candidate = DiscoveryCandidate(
      kind: .repeatedLine, shape: "persona: *.", count: 300, share: 0.3, unnaturalness: 0.8, score: 0.24,
      highConfidence: true, exampleLines: [1], example: "Persona: nurse.", values: ["nurse", "chef"])
    guard case .regex(let pattern) = candidate.rule().matcher else {
      Issue.record("not a regex rule")
      return
    }
    for (text, matches) in [
      ("So the sum is odd. Persona: Nurse.", true), ("persona:\tchef.", true), ("Persona: nursery.", false),
      ("Persona: nurse", false), ("Persona: pilot.", false), ("The persona: chef.", true),
      ("productPersona: nurse.", false), ("Persona: nurse.x", false),
    ] {
      #expect((pattern.firstMatch(in: text) != nil) == matches, "\(text)")
    }
  }

  /// Found in a corpus it was never told about: a label after the last sentence of 30 % of
  /// the rows' reasoning with twenty values, each on too few rows to be a candidate alone, is
  /// listed as one family, first, not confident (a domain writes such labels too), so `clean`
  /// keeps its rows until it is accepted and then quarantines exactly them; a shop's variants
  /// in the answers, as often, are no family.
  @Test func aLabelsValuesAreOneFamilyFoundAndCleaned() async throws {
    let values = [
      "nurse", "lawyer", "teacher", "chef", "pilot", "farmer", "student", "coach", "judge", "baker", "miner",
      "sailor", "tailor", "singer", "writer", "doctor", "banker", "driver", "artist", "ranger",
    ]
    let words = ["the", "claim", "recites", "a", "housing", "and", "latch", "so", "we", "consider", "sum"]
    let dir = TempDir()
    for label in ["Persona", "Variant"] {
      var rows: [String] = []
      var planted = 0
      for i in 0..<1000 {
        var state = UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
        let sentence = (0..<14).map { _ in
          state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
          return words[Int(state >> 33) % words.count]
        }.joined(separator: " ")
        var reasoning = "Okay, so \(sentence)."
        var answer = "Done."
        if i % 10 < 3 {
          let stamp = "\(label): \(values[(i / 10) % values.count])."
          // The label in the reasoning; a shop writes its variants in the answer.
          if label == "Persona" { reasoning += " " + stamp } else { answer += "\n" + stamp }
          planted += 1
        }
        rows.append(messagesRow("r\(i)", "<think>\n\(reasoning)\n</think>\n\(answer)"))
      }
      let path = dir.file("\(label).jsonl", rows.joined(separator: "\n") + "\n")
      let reports = try await scanBothWays(path)
      #expect(reports[0].discovered == reports[1].discovered)
      #expect(reports[0].discovered.allSatisfy { !$0.highConfidence })
      let counts = try await defaultCleanCounts(path)
      #expect(counts.quarantined == 0 && counts.clean == 1000, "\(counts)")
      let accepted = try await cleanCounts(path, acceptDiscovered: true)
      if label == "Persona" {
        let top = reports[0].discovered.first
        #expect(
          top?.shape == "persona: *." && top?.count == planted && top?.values?.count == values.count,
          "\(reports[0].discovered.map { ($0.shape, $0.count, $0.highConfidence) })")
        #expect(accepted.quarantined == planted && accepted.clean == 1000 - planted, "\(accepted)")
      } else {
        #expect(!reports[0].discovered.contains { $0.shape.hasPrefix("variant: *") })
      }
    }
  }

  /// Found in corpora it was never told about: a mark of a made row, a row id, a label's
  /// hashtag, a generator's tag with a fixed id or in angle brackets inside a sentence of 30 % of the rows'
  /// reasoning is confident, and `clean` quarantines exactly those rows.
  @Test(arguments: ["SRC=synthetic", "uid=<hex>", "#variant-<n>", "[[gen:7f3a]]", "<gen id=<n>>"])
  func aStampInsideASentenceIsFoundAndCleaned(stamp: String) async throws {
    let words = ["the", "claim", "recites", "a", "housing", "and", "latch", "so", "we", "consider", "sum"]
    var rows: [String] = []
    var planted = 0
    for i in 0..<1000 {
      var state = UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
      func next() -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int(state >> 33)
      }
      var sentence = (0..<14).map { _ in words[next() % words.count] }
      if i % 10 < 3 {
        let hex = String(UInt32(truncatingIfNeeded: next() &* 2_654_435_761) | 0x8000_0000, radix: 16)
        let text = stamp.replacingOccurrences(of: "<hex>", with: "a" + hex.dropFirst() + "7")
          .replacingOccurrences(of: "<n>", with: "\(1 + i % 9)")
        sentence.insert(text, at: 4 + i % 5)
        planted += 1
      }
      rows.append(
        messagesRow("r\(i)", "<think>\nOkay, so \(sentence.joined(separator: " ")).\n</think>\nDone."))
    }
    let dir = TempDir()
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    let reports = try await scanBothWays(path)
    #expect(reports[0].discovered == reports[1].discovered)
    let confident = reports[0].discovered.filter(\.highConfidence)
    #expect(
      confident.count == 1 && confident.first?.count == planted,
      "\(reports[0].discovered.map { ($0.shape, $0.count, $0.highConfidence) })")
    let counts = try await defaultCleanCounts(path)
    #expect(counts.quarantined == planted && counts.clean == 1000 - planted, "\(counts)")
  }
}
