import Foundation
import TestSupport
import Testing

@testable import LeakScanner

@Suite struct BracketedProseTests {
  /// Brackets that law, patents, medicine, math, code, chemistry, cooking, finance and genetics
  /// write, each on about 3% of rows: listed at most, never confident.
  static let proseBrackets: [String] = [
    "the court wrote it so [sic] and", "the holding (emphasis added) and", "the same case [Id.] and",
    "the court found (id. at 5) and", "the latch is shown (Fig. 2) and", "the cohort was small (n = 12) and",
    "the residue is 3 (mod 7) and", "the totals (see Table 3) and", "the value (row 3 of the table) and",
    "the trial (sample size 40) and", "bake the loaves (batch 3) and", "plant the beans (seed 2) and",
    "the deed is filed (copy 2) and", "the pairs {i, j} and", "the ratio (i.e., the odds) and",
    "see [the docs](https://example.com/docs) and", "send {\"id\": 4, \"name\": \"x\"} and",
    "the markup <!-- main content --> and", "**Variant** the allele and", "the allele (Variant A) and",
    "open it with open(path, mode=\"r\") and", "seed it with rng(seed=42) and", "the lot (sample 3) and",
    "the table <!-- row 1 --> and", "the strain (family 3) and", "the file (chunk 2) and",
    "the cell (template 4) and", "the page (id 7) and", "the chart [row 2] and", "the loan (sample A) and",
    "the F2 (generation 2) and", "the docs say\n[Back to the index](https://example.com/index)\nand",
    "the page says\n<!-- main content -->\nand", "the payload is\n{\"id\": 4, \"name\": \"x\"}\nand",
    "the court says\n[Id. at 5]\nand", "the user is loaded by User(id=5) and",
    "the body is {\"temperature\": 0.7} and", "cite it (style: APA) and",
    "the template renders {title} and", "the set {x} and",
  ]

  /// A bracket attached to a word or a close is code or a link's address, and a link's text is
  /// prose: no fragment.
  @Test func callsIndicesAndLinksAreNoFragments() {
    func fragments(_ line: String) -> [String] {
      var out: [String] = []
      Array(line.utf8).withUnsafeBufferPointer { piece in
        DiscoveryStats.forEachFragment(in: piece) { out.append(String(decoding: piece[$0], as: UTF8.self)) }
      }
      return out
    }
    #expect(fragments("call rng(seed=42) or a_b[ij] or Foo{id: 3} or [the docs](https://x.io/a)").isEmpty)
    #expect(fragments("so (seed=42) and [end of sample 7].") == ["(seed=42)", "[end of sample 7]"])
  }

  @Test func bracketedProseIsNeverConfident() async throws {
    let dir = TempDir()
    let phrases = Self.proseBrackets
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1000) { i in
        i % 40 < phrases.count ? "Okay, so " + phrases[i % 40] + " " : nil
      })
    let report = try await CorpusScanner().scan(path: path)
    let confident = report.discovered.filter(\.highConfidence).map(\.shape)
    #expect(confident.isEmpty, "\(confident)")
  }

  /// A pipeline's notes in a comment or with a colon (`<!-- persona: lawyer -->`, `(seed: 41)`)
  /// are as confident as `(seed=41)`, and `clean` quarantines exactly their rows.
  @Test func notesInCommentsAndWithAColonAreConfident() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1000) { i in
        switch i % 20 {
        case 0: "Okay, so the claim <!-- persona: lawyer --> is read and "
        case 1: "Okay, so the sum (seed: \(i * 7 % 997)) is odd and "
        case 2: "Okay, so the sum [temperature: 0.\(i % 9 + 1)] is odd and "
        case 3: "Okay, so the claim (dup of \(i)) is read and "
        case 4: "Okay, so the claim <!-- gen \(i) --> is read and "
        default: nil
        }
      })
    let report = try await CorpusScanner().scan(path: path)
    let confident = Set(report.discovered.filter(\.highConfidence).map(\.shape))
    #expect(
      confident == [
        "<!-- persona: lawyer -->", "(seed: #)", "[temperature: #.#]", "(dup of #)", "<!-- gen # -->",
      ], "\(report.discovered.map(\.shape))")
    let counts = try await defaultCleanCounts(path)
    #expect(counts.quarantined == 250 && counts.clean == 750)
  }

  /// The language model that wrote a row, named with a colon in brackets beside its sampling
  /// settings (`(model: gpt-4o, t=0.3)`), is confident and `clean` quarantines exactly its rows;
  /// a product's model and prose about models are not stamps.
  @Test func aLanguageModelNamedAsASettingIsConfident() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1000) { i in
        i % 5 == 0 ? "Okay, so the sum (model: gpt-4o, t=0.\(i % 9 + 1)) is odd and " : nil
      })
    let report = try await CorpusScanner().scan(path: path)
    let stamp = try #require(report.discovered.first { $0.shape == "(model: gpt-#o, t=#.#)" })
    #expect(stamp.highConfidence && stamp.count == 200)
    let counts = try await defaultCleanCounts(path)
    #expect(counts.quarantined == 200 && counts.clean == 800)
    for shape in ["[model: claude-#]", "(model: llama-#-#b)", "(model: qwen#.#, seed=#)"] {
      #expect(Discovery.unnaturalness(shape, kind: .repeatedLine) >= 0.8, "\(shape)")
    }
    for shape in [
      "(model: camry, year: #)", "(model: the transformer)", "(gpt-#o was used)", "(model: llama)",
      "(the gpt-# model: better)",
    ] {
      #expect(Discovery.unnaturalness(shape, kind: .repeatedLine) < 0.8, "\(shape)")
    }
  }

  /// A template's slot left unfilled, on its own line (`{{customer_name}}`) or in a sentence
  /// (`{slot_a}`), is confident, and `clean` quarantines exactly its rows; a word in braces is
  /// not a slot.
  @Test func unfilledTemplateSlotsAreConfident() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1000) { i in
        switch i % 10 {
        case 0: "Okay, so the claim is read.\n{{customer_name}}\nThen "
        case 1: "Okay, so the sum {slot_a} is odd and "
        default: nil
        }
      })
    let report = try await CorpusScanner().scan(path: path)
    let confident = Set(report.discovered.filter(\.highConfidence).map(\.shape))
    // The line's inner braces are a fragment of their own, on the same rows.
    #expect(
      confident == ["{{customer_name}}", "{customer_name}", "{slot_a}"], "\(report.discovered.map(\.shape))")
    let counts = try await defaultCleanCounts(path)
    #expect(counts.quarantined == 200 && counts.clean == 800)
    for shape in ["{slot_a}", "{item_#}", "{customer_first_name}", "{{slot_a}}", "{{ customer_name }}"] {
      #expect(Discovery.unnaturalness(shape, kind: .repeatedLine) >= 0.8, "\(shape)")
    }
    for shape in ["{title}", "{_private}", "{Slot_A}", "{a_}", "{x, y}", "{#_a}", "{{title}}", "{ }", "{{}}"]
    {
      #expect(Discovery.unnaturalness(shape, kind: .repeatedLine) < 0.8, "\(shape)")
    }
  }

  /// Openings that patents, law, science and math start their reasoning with, each on about 2.5%
  /// of rows: their numbers go on into a sentence or cite something, so they are listed, never
  /// confident, and `clean` keeps every row. Generators' numbers, marked off or named, stay
  /// confident; a number in a sentence is confident only on a share no domain's reference has.
  @Test func numbersInADomainsSentencesAreNoStamps() async throws {
    let openings = [
      "FIG. # shows", "Fig. #A shows", "Figs. 2-# show", "(see FIG. #)", "Thm. # says", "Eq. (#) gives",
      "Col. #, lines 4-10", "US 5,12#,456 discloses", "Element 10# is", "At 3#°C the", "Using 1# mg of",
      "x = #, so", "Ex. 100# shows", "Per MPEP 2143.01(IV),",
    ]
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(2000) { i in
        i % 40 < openings.count
          ? openings[i % 40].replacingOccurrences(of: "#", with: "\(i % 9 + 1)") + " " : nil
      })
    let report = try await CorpusScanner().scan(path: path)
    #expect(report.discovered.count >= openings.count - 2, "\(report.discovered.map(\.shape))")
    let confident = report.discovered.filter(\.highConfidence).map(\.shape)
    #expect(confident.isEmpty, "\(confident)")
    let counts = try await defaultCleanCounts(path)
    #expect(counts.quarantined == 0 && counts.clean == 2000)
    for shape in [
      "sample # okay,", "take # |", "run #: …", "(draft v#) the", "km-# >> the", "--- sample # ---",
      "run # —",
    ] {
      #expect(Discovery.unnaturalness(shape, kind: .opening) >= 0.8, "\(shape)")
    }
    for shape in [
      "element # is", "using # mg", "x = #, so", "(see fig. #)", "col. #, lines", "aged # -", "pages # –",
    ] {
      #expect(Discovery.unnaturalness(shape, kind: .opening) < 0.8, "\(shape)")
    }
    // The same sentence with a number on a fifth of the rows is a generator's stamp.
    let stamped = dir.file(
      "s.jsonl", generatedCorpus(1000) { i in i % 5 == 0 ? "Element 10\(i % 9) is " : nil })
    let family = try await CorpusScanner().scan(path: stamped).discovered.first { $0.shape == "element # is" }
    #expect(family?.highConfidence == true && family?.count == 200)
  }

  /// A family's matcher is equal for the same codes in any order, as when they were a `Set`.
  @Test func codeListsOfTheSameCodesAreEqual() {
    #expect(
      ShapeMatcher(openingShape: "X# …", codes: ["A1", "B2", "QA12b"])
        == ShapeMatcher(openingShape: "X# …", codes: ["QA12b", "B2", "A1", "B2"]))
    #expect(
      ShapeMatcher(openingShape: "X# …", codes: ["A1"]) != ShapeMatcher(openingShape: "X# …", codes: ["B2"]))
  }
}
