import TestSupport
import Testing

@testable import LeakScanner

@Suite struct ShapeTests {
  /// The byte path for ASCII tokens must give the Character path's shape.
  @Test func asciiTokenShapesMatchTheGeneralPath() {
    let tokens = [
      "A4", "A4:", "E12b", "QA3", "a4", "ABCDEF1", "X#", "[variant", "3]", "persona=lawyer", "Okay,", "so",
      "12",
      "1a2b", "--A4--", "A4:x", ":", "", "Let's", "v2.1", "ABC12:", "Z9z:", "7f3a9c21-b4e1:", "(a3f9c21)",
      "550e8400-e29b-41d4-a716-446655440000", "deadbeef", "F00D1234", "12-345-678", "abc1234x",
      // Labels and letters, and what only looks like them.
      "Variant-A", "VARIANT-B:", "**Variant-C**", "(persona-Z)", "Type-a", "T-A", "Variant-AB", "Variant-A's",
      "Spider-Man", "x-Y", "ab-C1", "#123", "#7:", "Plan-B.",
      // Words joined to hex ids.
      "gen-5f37ab98:", "gen-be6f:", "[[gen:7f3a9c21]]", "build_3fa9", "gen-cafe", "type-2a3",
      "gen-be6f-draft",
    ]
    for token in tokens {
      #expect(Discovery.tokenShape(Substring(token)) == Discovery.unicodeTokenShape(token), "\(token)")
    }
  }

  /// The byte path's shortcut for plain words (no digit, `#`, `=` or hyphen) and its general
  /// path give the Character path's shape for random ASCII tokens.
  @Test func randomASCIITokenShapesMatchTheGeneralPath() {
    let alphabet = Array("abcfxyzABCFXYZ0123456789#=-:_.()[]*'/")
    var rng = SystemRandomNumberGenerator()
    for round in 0..<20000 {
      // Every other token is letters and punctuation only: the shortcut's case.
      let letters = round % 2 == 0
      let token = String(
        (0..<Int.random(in: 1...12, using: &rng)).map { _ in
          var c = alphabet.randomElement(using: &rng)!
          while letters && (c.isNumber || "#=-".contains(c)) { c = alphabet.randomElement(using: &rng)! }
          return c
        })
      let shape = Discovery.tokenShape(Substring(token))
      #expect(shape == Discovery.unicodeTokenShape(token), "\(token)")
      if letters { #expect(shape == token.lowercased(), "\(token)") }
    }
  }

  /// A hex identifier (seven hex digits or more, a digit and a letter, hyphens between) is one
  /// `#`, so row ids group as row numbers do; words, numbers and codes keep their shapes.
  @Test func hexIdentifiersAreOneNumber() {
    #expect(Discovery.tokenShape("7f3a9c21-b4e1:") == "#:")
    #expect(Discovery.tokenShape("(a3f9c21)") == "(#)")
    #expect(Discovery.tokenShape("550e8400-e29b-41d4-a716-446655440000") == "#")
    #expect(Discovery.tokenShape("DEADBEEF") == "deadbeef")  // no digit: a word
    #expect(Discovery.tokenShape("12345678") == "#")  // digits only: a number as before
    #expect(Discovery.tokenShape("a4b") == "a#b")  // too short
    #expect(Discovery.tokenShape("abc1234x") == "abc#x")  // not hex
    #expect(Discovery.tokenShape("2024-01-15") == "#-#-#")
    #expect(Discovery.tokenShape("AB12345") == "X#")  // a family code, though its letters are hex
    #expect(Discovery.tokenShape("CAB1234:") == "X#:")
    #expect(Discovery.tokenShape("ab12345") == "#")  // lower-case: not a code
    // A word joined to a hex id (four hex digits or more, a digit and a letter) is the word and
    // one `#`, as a word joined to a number is.
    for token in ["gen-5f37ab98:", "gen-be6f:", "GEN-72605405:", "gen-5f37-ab98:"] {
      #expect(Discovery.tokenShape(Substring(token)) == "gen-#:", "\(token)")
    }
    #expect(Discovery.tokenShape("[[gen:7f3a9c21]]") == "[[gen:#]]")
    #expect(Discovery.tokenShape("build_3fa9") == "build_#")
    #expect(Discovery.tokenShape("«gen-be6f»") == "«gen-#»")
    // Not an id after a word: too short, a letter outside hex, no letter, no digit, one letter
    // before the joiner, or a word after the id.
    #expect(Discovery.tokenShape("type-2a3") == "type-#a#")
    #expect(Discovery.tokenShape("mid-2000s") == "mid-#s")
    #expect(Discovery.tokenShape("gen-cafe") == "gen-cafe")
    #expect(Discovery.tokenShape("x-1a2b3c") == "x-#a#b#c")
    #expect(Discovery.tokenShape("gen-be6f-draft") == "gen-be#f-draft")
    // One way to split a run: a long one is matched at once, not in cubic time.
    let long = DiscoveryCandidate(
      kind: .repeatedLine, shape: "# items", count: 10, share: 0.1, unnaturalness: 0.5, score: 0.05,
      highConfidence: false, exampleLines: [1], example: ""
    ).rule()
    #expect(long.match(Substring(String(repeating: "a1", count: 3000) + " x")) == nil)
    let rule = DiscoveryCandidate(
      kind: .opening, shape: "#: the claim", count: 10, share: 0.1, unnaturalness: 0.3, score: 0.03,
      highConfidence: false, exampleLines: [1], example: ""
    ).rule()
    #expect(rule.match("7f3a9c21-b4e1: the claim recites"[...]) != nil)
    #expect(rule.match("12: the claim recites"[...]) != nil)
    #expect(rule.match("Okay: the claim recites"[...]) == nil)
  }

  /// A label, a hyphen and a capital letter is `label-X`, so `Variant-A` and `Variant-C` group;
  /// a hash and a number stays `##`. Both open a family of their own (`variant-X …`, `## …`),
  /// counted only for openings its rule matches: a heading (`## Plan`) or prose after the
  /// head (`Type-A personalities`) is not.
  @Test func labelLettersAndHashNumbersNormalise() {
    #expect(Discovery.tokenShape("Variant-A") == "variant-X")
    #expect(Discovery.tokenShape("VARIANT-B:") == "variant-X:")
    #expect(Discovery.tokenShape("**Persona-C**") == "**persona-X**")
    #expect(Discovery.tokenShape("Type-a") == "type-a")
    #expect(Discovery.tokenShape("T-A") == "t-a")
    #expect(Discovery.tokenShape("Variant-AB") == "variant-ab")
    #expect(Discovery.openingShapes("Variant-A Okay, so the claim") == ["variant-X okay, so", "variant-X …"])
    #expect(Discovery.openingShapes("Variant-B: the claim") == ["variant-X: the claim", "variant-X …"])
    #expect(Discovery.openingShapes("#123 Okay so") == ["## okay so", "## …"])
    var stats = DiscoveryStats()
    stats.addOpenings(["#12 Okay, so"], line: 1)
    stats.addOpenings(["#7: the claim"], line: 2)
    stats.addOpenings(["## Plan the steps"], line: 3)
    stats.addOpenings(["#1 priority is"], line: 4)
    stats.addOpenings(["Variant-A Okay, so"], line: 5)
    stats.addOpenings(["Variant-B: the claim"], line: 6)
    stats.addOpenings(["Type-A personalities tend"], line: 7)
    stats.addOpenings(["Variant-C — the claim"], line: 8)
    #expect(stats.openings["## …"] == 2)
    #expect(stats.openings["variant-X …"] == 3)
    #expect(stats.openings["type-X …"] == nil)
    #expect(stats.openingExamples["variant-X …"]?.variants == ["Variant-A", "Variant-B:"])
    #expect(Discovery.unnaturalness("variant-X …", kind: .opening) >= 0.8)
    #expect(Discovery.unnaturalness("## …", kind: .opening) >= 0.8)
    #expect(Discovery.unnaturalness("variant-X okay, so", kind: .opening) >= 0.8)
    #expect(Discovery.unnaturalness("type-X personalities tend", kind: .opening) < 0.3)
    #expect(Discovery.unnaturalness("step-X …", kind: .opening) < 0.8)
    #expect(Discovery.unnaturalness("class-X: the claim", kind: .opening) < 0.8)
  }

  @Test func codesNormalise() {
    #expect(Discovery.tokenShape("E1") == "X#")
    #expect(Discovery.tokenShape("A4") == "X#")
    #expect(Discovery.tokenShape("QA12b:") == "X#:")
    #expect(Discovery.openingShapes("A4 spice combinator: text") == ["X# spice combinator:", "X# …"])
    #expect(Discovery.tokenShape("Okay,") == "okay,")
  }
  /// The opening tally names shapes from bytes; they must be the names `openingShapes` gives,
  /// with the same examples (lines, text, the variants each shape is made from, a family's
  /// codes), blanks before or after the words included.
  /// The opening tally decides from bytes that a shape opens no tag, identifier or head
  /// family before it makes the `String`s those tests read: whenever it says no, each of them
  /// says no.
  @Test func theFamilyPrecheckRulesOutOnlyShapesNoFamilyTakes() {
    let shapes = [
      "okay,", "so", "the", "##", "##:", "##.", "x#", "X#", "variant-X", "variant-X:", "**variant-X**",
      "km-#",
      ">>", "remix_#", "v#", "|", "(gen)", "[gen]", "~~mode~~", "mode~~", "@persona#", "/gen/#", "let's",
      "\"quoted\"", "x;", "(see", "-", "$#", "note:", "it's", "okay", "we", "(paraphrase)", "<synthetic>",
    ]
    var ruledOut = 0
    for a in shapes {
      for b in shapes {
        for c in ["", "okay,", "the", "##", ">>"] {
          let tokens = c.isEmpty ? [a, b] : [a, b, c]
          let joined = Array(tokens.joined(separator: " ").utf8)
          var ends = (0, 0, 0)
          ends.0 = a.utf8.count
          ends.1 = ends.0 + 1 + b.utf8.count
          ends.2 = c.isEmpty ? 0 : ends.1 + 1 + c.utf8.count
          guard !OpeningTally.mayOpenFamily(joined, tokens: tokens.count, ends: ends) else { continue }
          ruledOut += 1
          #expect(Discovery.headFamilyToken(a) == nil, "\(tokens)")
          #expect(Discovery.tagFamilyTokens(tokens) == nil, "\(tokens)")
          #expect(!Discovery.isIdentifierFamily(tokens), "\(tokens)")
        }
      }
    }
    // Natural openings are the ones ruled out.
    #expect(ruledOut > 500)
    #expect(!OpeningTally.mayOpenFamily(Array("okay, so the".utf8), tokens: 3, ends: (5, 8, 12)))
    #expect(OpeningTally.mayOpenFamily(Array("km-# >> the".utf8), tokens: 3, ends: (4, 7, 11)))
  }

  @Test func openingTallyCountsTheShapesOfTheStringPath() {
    let tokens = [
      "A4", "A4:", "E12b", "[variant", "3]", "persona=lawyer", "Okay,", "so", "12", "<<seed>>", "{{t}}:",
      "Let's",
      "x", "ABC12:", "spice", "combinator:", "7f3a9c21-b4e1:", "(a3f9c21)", "@persona3", "/gen/7",
      "Variant-A", "Persona-B:", "**Variant-C**", "#12", "#7:", "##", "Okay", "The", "we", "personalities",
      "**A4**", "(E1)", "E1.", "**B7**:",
      ":", "km-7", ">>", "remix_3", "v2", "|", "(gen)", "[gen]", "~~mode~~", "REMIX_3", "#3551.", "Q3/2024",
      "E1-v2", "B7/3886", "okay", "\"quoted\"", "x;", "it's", "-", "(see", "mode~~", "Row", "Example", "Step",
      "3551.", "4821:", "7)", "12",
    ]
    var rng = SystemRandomNumberGenerator()
    var lines: [String] = []
    for _ in 0..<3000 {
      let n = Int.random(in: 0...5, using: &rng)
      let edges = ["", "", " ", "\t", "  "]
      lines.append(
        edges.randomElement(using: &rng)!
          + (0..<n).map { _ in tokens.randomElement(using: &rng)! }.joined(
            separator: Bool.random(using: &rng) ? " " : " \t ") + edges.randomElement(using: &rng)!)
    }
    var tally = OpeningTally()
    var byBytes = DiscoveryStats()
    var byStrings = DiscoveryStats()
    for (i, line) in lines.enumerated() {
      let bytes = Array(line.utf8)
      tally.startRow()
      bytes.withUnsafeBufferPointer { tally.add($0, line: i + 1) }
      byStrings.addOpenings([line], line: i + 1)
    }
    tally.flush(into: &byBytes)
    #expect(byBytes.openings == byStrings.openings)
    for (shape, example) in byStrings.openingExamples {
      #expect(byBytes.openingExamples[shape] == example, "\(shape)")
    }
    #expect(byBytes.openings.keys.contains("X# …"))
    #expect(byBytes.openingExamples["X# …"]?.codes != nil)
  }

  /// A pipeline's inline note in brackets (`(seed=41)` mid-sentence, `[end of sample 3886]`
  /// at the end) recurs where the text around it does not: it is found as a fragment, confident,
  /// and `clean` quarantines its rows. Brackets of legal, patent and scientific prose
  /// (`[emphasis added]`, `(see FIG. 3)`, `(alpha=0.05)`) are listed at most, and their rows
  /// stay clean.
  @Test func findsABracketedNoteInsideTheTextAndLeavesProseBracketsAlone() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1000) { i in
        switch i % 10 {
        case 0, 1: "Okay, so the sum (seed=\(i * 7 % 997)) is odd and "
        case 2: "First, the claim is done [end of sample \(i)] and "
        case 3: "Alright, the court said so [emphasis added] and "
        case 4: "Hmm, the latch is shown (see FIG. \(i % 9 + 1)) and "
        case 5: "So the test was significant (alpha=0.0\(i % 9 + 1)) and "
        default: nil
        }
      })
    let report = try await CorpusScanner().scan(path: path)
    let confident = Set(report.discovered.filter(\.highConfidence).map(\.shape))
    #expect(confident == ["(seed=#)", "[end of sample #]"], "\(report.discovered.map(\.shape))")
    let listed = Set(report.discovered.map(\.shape))
    #expect(listed.isSuperset(of: ["[emphasis added]", "(see fig. #)", "(alpha=#.#)"]))
    let counts = try await defaultCleanCounts(path)
    #expect(counts.quarantined == 300 && counts.clean == 700)
  }

  /// Fragments: one line each, closed on it, at most 60 bytes, with a word, never the whole line.
  @Test func fragmentsAreBracketedWordsOnTheirLine() {
    func fragments(_ line: String) -> [String] {
      var out: [String] = []
      Array(line.utf8).withUnsafeBufferPointer { piece in
        DiscoveryStats.forEachFragment(in: piece) { out.append(String(decoding: piece[$0], as: UTF8.self)) }
      }
      return out
    }
    #expect(fragments("so the sum (seed=41) is odd [end of sample 7]") == ["(seed=41)", "[end of sample 7]"])
    #expect(
      fragments("a note <!-- gen 12 --> here {note: yes} {x: y}") == ["<!-- gen 12 -->", "{note: yes}"])
    #expect(fragments("[1] and (n) and (12)").isEmpty)
    #expect(fragments("[end of sample 7]").isEmpty)
    #expect(fragments("open (never closed and more").isEmpty)
    #expect(fragments("long (" + String(repeating: "word ", count: 14) + ") here").isEmpty)
    #expect(fragments("nested ((a note)) ok") == ["(a note)"])
  }

  /// After an opening's first word, a citation, a statistic or an editor's bracket (`Per [1],`,
  /// `Note (alpha=0.05):`, `Alright, [emphasis added]`) is prose however often it opens; a
  /// generator's tag or setting there (`Okay, [variant 3] so`, `So (seed=41) we`) is not.
  @Test func bracketsAfterAnOpeningsFirstWordAreTheGeneratorsOnlyWithItsWords() {
    for prose in ["per [#], wait,", "note (alpha=#.#): …", "alright, [emphasis added]", "hmm, [sic] the"] {
      #expect(Discovery.unnaturalness(prose, kind: .opening) < 0.8, "\(prose)")
    }
    for stamped in [
      "okay, [variant #] so", "so (seed=#) we", "okay, [gen #]", "so, <<seed>> the", "okay, X# the",
    ] {
      #expect(Discovery.unnaturalness(stamped, kind: .opening) >= 0.8, "\(stamped)")
    }
    // A setting's key is its letters in every judgement (`top_p` is `topp`), after a word too.
    #expect(Discovery.unnaturalness("so (top_p=#.#) we", kind: .opening) == 1)
    #expect(Discovery.bracketedUnnaturalness("(top_p=#.#)", ["(top_p=#.#)"]) == 0.9)
    // A repeated line with a citation in it is prose too.
    #expect(Discovery.unnaturalness("per [#], let me think.", kind: .repeatedLine) < 0.8)
    // A square tag of plain words is listed high, not confident: lyrics, logs and transcripts
    // open with them (`[Chorus]`, `[INFO]`, `[Applause]`), as Markdown opens with `**Analysis**`.
    #expect(Discovery.unnaturalness("[analysis] okay, so", kind: .opening) == 0.7)
    #expect(Discovery.unnaturalness("[verse #] the river", kind: .opening) == 0.3)
  }
}
