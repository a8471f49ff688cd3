import EvalCore
import Foundation
import TestSupport
import Testing

@testable import LeakScanner

/// Families that have no label after their code (`E1 Okay, so …`, the incident's `E1 …`) or
/// whose designator is an identifier (`REMIX_3 …`), and what `--repair` cuts of them.
@Suite struct FamilyDiscoveryTests {
  /// A 900-row corpus in `dir` whose every third row `i` opens with `stamp`, its `#` written as
  /// `number(i)`, then a natural opening.
  func stampedCorpus(_ stamp: String, in dir: TempDir, number: (Int) -> Int) -> String {
    dir.file(
      "c.jsonl",
      generatedCorpus(900) { i in
        i % 3 == 0
          ? stamp.replacingOccurrences(of: "#", with: "\(number(i))") + " " + naturalOpenings[i % 6] : nil
      })
  }

  /// Scans `path` and requires the confident candidate `shape` (of `counted` rows, when given),
  /// whose rule flags exactly `rows` rows on both scan paths and whose `--repair` clean repairs
  /// them all and quarantines none; the report, the candidate and the removed prefixes.
  func expectConfidentFamily(
    _ shape: String, rows: Int, counted: Int?, in path: String, dir: TempDir
  ) async throws -> (report: ScanReport, family: DiscoveryCandidate, removed: [String]) {
    let report = try await CorpusScanner().scan(path: path)
    let family = try #require(
      report.discovered.first { $0.shape == shape }, "\(report.discovered.map(\.shape))")
    #expect(family.highConfidence)
    if let counted { #expect(family.count == counted) }
    for byteRows in [true, false] {
      #expect(try await acceptedRows(family.rule(), in: path, byteRows: byteRows, parallelism: 1) == rows)
    }
    let (summary, removed) = try await repairedPrefixes(path, in: dir)
    #expect(summary.repaired == rows && summary.quarantined == 0)
    return (report, family, removed)
  }

  /// A code joined to a version or a row number (`E1-v2 Okay, so`, `B7/3886: the claim`) is
  /// one family across its codes and numbers (`X#-v# …`, `X#/# …`), counted on both paths alike,
  /// whose repair cuts the joined code alone; a code joined to a word (`T2-weighted images
  /// show`) or a versioned code before prose about it (`Q3/2024 revenue rose`) is no family.
  @Test func findsACodeJoinedToAVersionOrANumber() async throws {
    let codes = ["A4", "B7", "E1", "E2", "QA3"]
    for (joined, shape) in [("-v2", "X#-v# …"), ("/", "X#/# …")] {
      let dir = TempDir()
      let path = dir.file(
        "c.jsonl",
        generatedCorpus(1000) { i in
          switch i % 10 {
          case 0, 1, 2:
            let code = codes[i % codes.count] + (joined == "/" ? "/\(3000 + i)" : joined)
            return code + (i % 2 == 0 ? " " + naturalOpenings[i % naturalOpenings.count] : ": ")
          case 3: return "T2-weighted images show "
          case 4: return "Q3/20\(10 + i % 9) revenue rose "
          default: return nil
          }
        })
      let reports = try await scanBothWays(path)
      #expect(reports[0].discovered == reports[1].discovered)
      let (report, _, removed) = try await expectConfidentFamily(
        shape, rows: 300, counted: 300, in: path, dir: dir)
      #expect(report.detectors.first { $0.id == "scaffold-prefix" }?.rows == 0)
      let cut = try Regex(#"^(A4|B7|E1|E2|QA3)(-v2|/3[0-9]{3})(: | )$"#)
      #expect(removed.allSatisfy { $0.wholeMatch(of: cut) != nil }, "\(Set(removed).sorted().prefix(8))")
      let confident = report.discovered.filter(\.highConfidence).map(\.shape)
      #expect(!confident.contains { $0.hasPrefix("t#-") || $0.contains("revenue") }, "\(confident)")
    }
    #expect(Discovery.tokenShape("(E1-v2):") == "X#-v#):" && Discovery.tokenShape("B7/3886") == "X#/#")
    for token in ["T2-weighted", "CO2-rich", "IL-6", "E1/E2", "H1N1-infected"] {
      #expect(!Discovery.tokenShape(Substring(token)).hasPrefix("X#"), "\(token)")
    }
  }

  /// A code joined by a hyphen to a row number of five digits or more (`E1-38861 Okay, so`) has
  /// seven hex digits when its letters are `A` to `F`, yet it is a versioned code, as `G1-38861`
  /// is, not a hex id: one family `X#-# …` across its codes.
  @Test func aCodeJoinedToALongNumberIsNoHexIdentifier() async throws {
    for token in ["E1-38861", "AB1-2345", "G1-38861"] {
      #expect(Discovery.tokenShape(Substring(token)) == "X#-#", "\(token)")
    }
    #expect(Discovery.tokenShape("B7-30001:") == "X#-#:")
    #expect(Discovery.tokenShape("7f3a9c21-b4e1") == "#" && Discovery.tokenShape("550e8400-e29b:") == "#:")
    let codes = ["A4", "B7", "E1", "E2", "QA3"]
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1000) { i in
        guard i % 10 < 3 else { return nil }
        let code = codes[i % codes.count] + "-\(30000 + i)"
        return code + (i % 2 == 0 ? " " + naturalOpenings[i % naturalOpenings.count] : ": ")
      })
    let reports = try await scanBothWays(path)
    #expect(reports[0].discovered == reports[1].discovered)
    _ = try await expectConfidentFamily("X#-# …", rows: 300, counted: 300, in: path, dir: dir)
  }

  /// A stamp that is the same on every row it opens, one of the generator's words in brackets
  /// (`(gen) Okay, so`, `<synthetic> …`), a name joined to a row number (`row_3551: …`, which
  /// prose never writes, unlike `Row 3: …`) and a hashtag of a generator's label
  /// (`#variant-3120 Okay, so`) are confident families; `--repair` cuts the stamp alone.
  @Test func findsConstantBracketedStampsJoinedRowNumbersAndLabelHashtags() async throws {
    for (stamp, shape) in [("(gen)", "(gen) …"), ("<synthetic>", "<synthetic> …"), ("row_#:", "row_#: …")] {
      let dir = TempDir()
      let path = stampedCorpus(stamp, in: dir) { 3000 + $0 }
      let reports = try await scanBothWays(path)
      #expect(reports[0].discovered == reports[1].discovered, "\(stamp)")
      let (_, _, removed) = try await expectConfidentFamily(
        shape, rows: 300, counted: 300, in: path, dir: dir)
      let prefix = stamp.replacingOccurrences(of: "#", with: "")
      #expect(
        removed.allSatisfy { $0.hasPrefix(prefix.prefix(4)) && $0.hasSuffix(" ") && $0.count <= 15 },
        "\(removed.prefix(3))")
    }
    #expect(
      !Discovery.isClosedGeneratorWord("(generated by hand)") && !Discovery.isClosedGeneratorWord("gen")
        && !Discovery.isClosedGeneratorWord("(paraphrase)"))
    #expect(Discovery.unnaturalness("row #: the", kind: .opening) < 0.8)
    let dir = TempDir()
    let path = dir.file(
      "h.jsonl",
      generatedCorpus(900) { i in i % 3 == 0 ? "#variant-\(3000 + i) " + naturalOpenings[i % 6] : nil })
    let (_, _, removed) = try await expectConfidentFamily(
      "#variant-# …", rows: 300, counted: 300, in: path, dir: dir)
    #expect(removed.allSatisfy { $0.hasPrefix("#variant-3") && $0.count == 14 }, "\(removed.prefix(3))")
    // A hashtag of the generator's words; a heading's hashes and prose's hashtags are none.
    #expect(Discovery.isGeneratorHashtag("#variant-#") && Discovery.isGeneratorHashtag("#persona_x"))
    for token in ["##", "#", "#teamwork", "#1", "#genome"] {
      #expect(!Discovery.isGeneratorHashtag(token), "\(token)")
    }
    #expect(Discovery.unnaturalness("#teamwork okay, so", kind: .opening) < 0.8)
  }

  /// A section's word and a number that is new on nearly every row it opens (`Row 3551. Okay,
  /// so`, `Example 4821: the claim`, `Item 77 - First,`) is a row index: a confident family,
  /// counted alike on both paths and merged exactly from shards, whose repair cuts the
  /// numbering alone. Reasoning's own numbering (`Step 1:` … `Step 4:` on every row), numbers
  /// from a short range and a number a sentence goes on after (`Problem 3551 asks`) stay
  /// listed at most.
  @Test func aSectionNumberNewOnEveryRowIsARowIndex() async throws {
    for (stamp, shape) in [("Row #.", "row #. …"), ("Example #:", "example #: …"), ("Item # -", "item # -")] {
      let dir = TempDir()
      let path = stampedCorpus(stamp, in: dir) { 1000 + $0 * 7 }
      let reports = try await scanBothWays(path)
      #expect(reports[0].discovered == reports[1].discovered, "\(stamp)")
      var shards: [ScanReport] = []
      for k in 1...3 {
        shards.append(try await CorpusScanner().scan(path: path, shard: (k, 3), parallelism: 1))
      }
      let merged = try ShardMerger.merge(shards, configuration: ScanConfiguration())
      #expect(merged.discovered == reports[0].discovered, "\(stamp)")
      let (report, family, removed) = try await expectConfidentFamily(
        shape, rows: 300, counted: 300, in: path, dir: dir)
      #expect(abs((family.distinctNumbers ?? 0) - 300) <= 45, "\(family.distinctNumbers ?? -1)")
      #expect((family.distinctNumbers ?? 0) <= family.count)
      #expect(report.renderTable().contains("distinct numbers"))
      let label = stamp.prefix { $0 != " " }
      #expect(removed.allSatisfy { $0.hasPrefix(label + " ") && $0.hasSuffix(" ") }, "\(removed.prefix(3))")
    }
    // The same openings with the numbers of the reasoning's own steps, of a short range, or
    // in the flow of a sentence: no confident candidate, nothing repaired.
    let natural: [(Int) -> String] = [
      { "Step \($0 % 4 + 1): " }, { "Row \($0 % 40 + 1). " }, { "Problem \(1000 + $0 * 7) asks " },
      // Numbers of a range a few times smaller than the rows: new on most rows of each word
      // after them (`Line #: so`), not of the numbering.
      { "Line \($0 * 2_654_435_761 % 300 + 1): " },
    ]
    for make in natural {
      let dir = TempDir()
      let path = dir.file(
        "c.jsonl", generatedCorpus(900) { i in i % 3 == 0 ? make(i) + naturalOpenings[i / 3 % 6] : nil })
      let report = try await CorpusScanner().scan(path: path)
      if make(3).hasPrefix("Row") {
        // Listed, with its 40 numbers.
        let rows = try #require(report.discovered.first { $0.shape == "row #. …" })
        #expect(
          abs((rows.distinctNumbers ?? 0) - 40) <= 2 && !rows.highConfidence, "\(rows.distinctNumbers ?? -1)")
      }
      #expect(
        !report.discovered.contains { $0.highConfidence },
        "\(make(3)): \(report.discovered.filter(\.highConfidence).map(\.shape))")
      let (summary, _) = try await repairedPrefixes(path, in: dir)
      #expect(summary.repaired == 0 && summary.quarantined == 0, "\(make(3))")
    }
  }

  /// A row index alone on its first line (`Row 50007.` then the reasoning on the next) opens
  /// the two-token shape `row #.`, none of the `row #. …` family's rows: it is confident on
  /// its own numbers even when other rows carry the index on the reasoning's line, and
  /// `--repair` cuts both.
  @Test func aRowIndexAloneOnItsLineIsConfidentBesideItsFamily() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(900) { i in
        switch i % 9 {
        case 0, 3, 6: "Row \(1000 + i * 7). " + naturalOpenings[i % 6]
        case 1: "Row \(50_000 + i * 7).\n" + naturalOpenings[i % 6]
        default: nil
        }
      })
    let report = try await CorpusScanner().scan(path: path)
    let family = try #require(report.discovered.first { $0.shape == "row #. …" })
    #expect(family.highConfidence && family.count == 300)
    let alone = try #require(report.discovered.first { $0.kind == .opening && $0.shape == "row #." })
    #expect(alone.highConfidence && alone.count == 100, "\(alone)")
    let (summary, removed) = try await repairedPrefixes(path, in: dir)
    #expect(summary.repaired == 400 && summary.quarantined == 0)
    #expect(removed.allSatisfy { $0.hasPrefix("Row ") }, "\(removed.prefix(3))")
  }

  /// Reasoning that restates the prompt's own number (`Question 873:` for question 873, in a
  /// user turn or in a `{text}` row's templated prompt) echoes it: those numbers are not
  /// counted, so the numbering is listed at most, on both paths alike. A row index that is new
  /// on every row is confident only on a large share of the corpus (10 %): on 5 % it is listed.
  @Test func aNumberThePromptHoldsOrASmallShareIsNoRowIndex() async throws {
    for echoed in [true, false] {
      let dir = TempDir()
      var lines: [String] = []
      for i in 0..<900 {
        let n = 1000 + i * 7
        let opening = i % 3 == 0 ? "Question \(n): " + naturalOpenings[i % 6] : naturalOpenings[i % 6]
        // Rows differ past the opening, so none is a copy of another once repaired.
        let think =
          "<think>\n\(opening)\(bodies[i % bodies.count]) It takes \(i) checks.\n</think>\n\nAnswer."
        let asked = echoed ? "Solve question \(n) of the set." : "Solve the next question of the set."
        if i % 2 == 0 {
          lines.append(messagesRow("m\(i)", think, prompt: asked))
        } else {
          lines.append("{\"id\":\"t\(i)\",\"text\":\(lit("<|user|>\(asked)<|assistant|>" + think))}")
        }
      }
      let path = dir.file("echo.jsonl", lines.joined(separator: "\n") + "\n")
      let reports = try await scanBothWays(path)
      #expect(reports[0].discovered == reports[1].discovered)
      let family = reports[0].discovered.first { $0.shape == "question #: …" }
      let (summary, _) = try await repairedPrefixes(path, in: dir)
      if echoed {
        // Not even listed: `Question` opens reasoning naturally, and its numbers are the prompt's.
        #expect(family == nil && summary.repaired == 0)
      } else {
        #expect(family?.highConfidence == true && summary.repaired == 300, "\(summary)")
      }
    }

    // A row index on 5 % of the rows: listed as one, not confident; on 15 %, confident.
    for (every, confident) in [(20, false), (7, true)] {
      let sub = TempDir()
      let corpus = sub.file(
        "c.jsonl",
        generatedCorpus(1400) { i in i % every == 0 ? "Row \(50_000 + i). " + naturalOpenings[i % 6] : nil })
      let report = try await CorpusScanner().scan(path: corpus)
      let rows = try #require(report.discovered.first { $0.shape == "row #. …" })
      #expect(rows.unnaturalness == 0.8 && rows.highConfidence == confident, "every \(every)")
    }
  }

  /// Reasoning laid out in numbered steps in other languages (`Schritt 1:`, `Étape 2 :`,
  /// `Paso 3:`, `Шаг 4:`) is no scaffolding, as `Step 1:` is none: nothing confident, nothing
  /// repaired, on both paths. A row index after such a word (`Ejemplo 4821:`) still is one.
  @Test func numberedStepsInOtherLanguagesAreNoScaffolding() async throws {
    for step in ["Schritt", "Étape", "Paso", "Шаг"] {
      let dir = TempDir()
      let colon = step == "Étape" ? " :" : ":"
      let path = dir.file(
        "c.jsonl",
        generatedCorpus(900) { i in
          i % 3 == 0 ? "\(step) \(i / 3 % 4 + 1)\(colon) " + naturalOpenings[i % 6] : nil
        })
      let reports = try await scanBothWays(path)
      #expect(reports[0].discovered == reports[1].discovered, "\(step)")
      #expect(
        !reports[0].discovered.contains { $0.highConfidence },
        "\(step): \(reports[0].discovered.filter(\.highConfidence).map(\.shape))")
      let (summary, _) = try await repairedPrefixes(path, in: dir)
      #expect(summary.repaired == 0 && summary.quarantined == 0, "\(step)")
    }
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(900) { i in i % 3 == 0 ? "Ejemplo \(4000 + i): " + naturalOpenings[i % 6] : nil })
    _ = try await expectConfidentFamily("ejemplo #: …", rows: 300, counted: 300, in: path, dir: dir)
  }

  /// A bare code before the reasoning, on a third of the rows, with the natural openings of
  /// the rest after it: one family `X# …`, confident, whose rule flags exactly its rows and
  /// whose repair cuts the code alone, never the words after it.
  @Test func findsABareCodeFamilyAndRepairCutsOnlyTheCode() async throws {
    let dir = TempDir()
    let lower = ["we compute ", "let me check ", "so "]
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(900) { i in
        guard i % 3 == 0 else { return nil }
        let code = "\(["A", "B", "C", "D", "E"][i % 5])\(i % 9 + 1) "
        // Capitalised openings, and lower-case sentence openers (`E7 we compute …`).
        return code + (i % 2 == 0 ? naturalOpenings[i % naturalOpenings.count] : lower[i / 6 % lower.count])
      })
    let (report, _, removed) = try await expectConfidentFamily(
      "X# …", rows: 300, counted: 300, in: path, dir: dir)
    #expect(report.detectors.first { $0.id == "scaffold-prefix" }?.rows == 0)
    #expect(removed.count == 300)
    let codeOnly = try Regex(#"^[A-E][1-9] $"#)
    #expect(removed.allSatisfy { $0.wholeMatch(of: codeOnly) != nil }, "\(Set(removed).sorted().prefix(8))")
    // Each repaired line is its input line without the code, every other byte as it was.
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8)
    let input = try String(contentsOfFile: path, encoding: .utf8)
    #expect(clean == input.replacing(try Regex(#"<think>\\n[A-E][1-9] "#), with: #"<think>\n"#))
  }

  /// A radiology corpus whose reasoning sometimes opens on a sequence or a vertebra (`T2 The
  /// lesion …`, `L5 The nerve root …`) beside a generator's bare codes (`E1 Okay, so …`): the
  /// family's rule is limited to the codes that open many of its rows, so `clean` leaves the
  /// domain rows alone and still finds every generated one.
  @Test func aFamilysRuleLeavesDomainCodesThatOpenAFewRowsAlone() async throws {
    let dir = TempDir()
    let domain = [
      "T2 The lesion is hyperintense on ", "L5 The nerve root is compressed at ",
      "T2 The signal is bright in ", "C5 The disc bulges toward ",
    ]
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(900) { i in
        if i % 150 == 7 { return domain[i / 150 % domain.count] }
        guard i % 3 == 0 else { return nil }
        return "E\(i % 4 + 1) " + naturalOpenings[i / 3 % naturalOpenings.count]
      })
    let (_, family, removed) = try await expectConfidentFamily(
      "X# …", rows: 300, counted: nil, in: path, dir: dir)
    #expect(family.codes == ["E1", "E2", "E3", "E4"])
    #expect(Set(removed) == ["E1 ", "E2 ", "E3 ", "E4 "])
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8)
    for opening in domain { #expect(clean.contains("<think>\\n" + opening)) }
  }

  /// A code in punctuation before the reasoning (`**A4** Okay, so`, `(E1) The question`) is the
  /// code family's as a bare one is: every such row is counted and repaired, not only those of
  /// the few natural openings common enough to be candidates of their own.
  @Test func aCodeInPunctuationCountsForTheCodeFamily() async throws {
    let dir = TempDir()
    let wrapped = ["**A4**", "(E1)", "**B7**", "E2."]
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(900) { i in
        guard i % 5 < 2 else { return nil }
        return wrapped[i / 5 % wrapped.count] + " " + naturalOpenings[i / 20 % naturalOpenings.count]
      })
    let (_, family, removed) = try await expectConfidentFamily(
      "X# …", rows: 360, counted: 360, in: path, dir: dir)
    #expect(family.codes == ["A4", "B7", "E1", "E2"])
    #expect(Set(removed) == Set(wrapped.map { $0 + " " }))
  }

  /// A generator's label in a tag's marks after a natural first word (`Step 3551 (remix): …`)
  /// stamps the reasoning: the opening is a confident candidate, every row of it counted (the
  /// words after a tag may carry their punctuation, `Okay,`), and `--repair` cuts the stamp.
  /// The label word in prose (`Let me remix the track`, `Step 2 (variant of …`) is not one.
  @Test func aMarkedGeneratorLabelAfterANaturalWordIsFound() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(900) { i in
        switch i % 5 {
        case 0, 1: "Step \(i * 37 % 9000 + 1) (remix): " + naturalOpenings[i / 5 % naturalOpenings.count]
        case 2: "Let me remix the track. "
        case 3: "Step \(i % 7 + 1) (variant of the last one): "
        default: nil
        }
      })
    let report = try await CorpusScanner().scan(path: path)
    let stamp = try #require(
      report.discovered.first { $0.shape == "step # (remix):" }, "\(report.discovered.map(\.shape))")
    #expect(stamp.count == 360 && stamp.highConfidence)
    #expect(!report.discovered.contains { $0.highConfidence && $0.shape != stamp.shape })
    let (summary, removed) = try await repairedPrefixes(path, in: dir)
    #expect(summary.repaired == 360 && summary.quarantined == 0)
    #expect(removed.allSatisfy { $0.hasPrefix("Step ") && $0.hasSuffix(" (remix): ") })
    #expect(Discovery.isMarkedScaffoldLabel("(remix):") && Discovery.isMarkedScaffoldLabel("persona:"))
    #expect(!Discovery.isMarkedScaffoldLabel("remix") && !Discovery.isMarkedScaffoldLabel("(variant"))
  }

  /// Codes are counted as written and limited to those of many rows; too many distinct codes,
  /// or too few rows each, leave the rule taking any code; shards merge the counts exactly.
  @Test func familyCodesAreCountedMergedAndLimited() throws {
    #expect(Discovery.code(ofToken: "(A4)") == "A4")
    #expect(Discovery.code(ofToken: "**B7b**") == "B7b")
    #expect(Discovery.code(ofToken: "E1:") == "E1")
    #expect(Discovery.code(ofToken: "E1x2") == nil)
    #expect(Discovery.code(ofToken: "e1") == nil)
    #expect(Discovery.familyCodes(["A4": 50, "(A4)": 10, "E1": 40, "T2": 1], rows: 101) == ["A4", "E1"])
    // Codes of a row or two each (row numbers as codes): the rule takes any code.
    #expect(Discovery.familyCodes(["R1": 1, "R2": 1, "R3": 1, "R4": 2], rows: 5) == nil)
    #expect(Discovery.familyCodes(nil, rows: 100) == nil)
    var a = DiscoveryStats()
    var b = DiscoveryStats()
    for (stats, codes) in [(0, ["A4", "E1", "A4"]), (1, ["E1", "B7"])] {
      for (k, code) in codes.enumerated() {
        if stats == 0 {
          a.addOpenings(["\(code) spice combinator: so"], line: k + 1)
        } else {
          b.addOpenings(["\(code) spice combinator: so"], line: 10 + k)
        }
      }
    }
    a.merge(b)
    #expect(a.openingExamples["X# …"]?.codes == ["A4": 2, "E1": 2, "B7": 1])
    // Past `maxCodes` distinct tokens, the family no longer lists them.
    var many = DiscoveryStats()
    for k in 0...DiscoveryStats.Example.maxCodes {
      many.addOpenings(["Q\(k + 1) spice combinator: so"], line: k + 1)
    }
    #expect(many.openingExamples["X# …"]?.codes == nil)
    #expect(many.openings["X# …"] == DiscoveryStats.Example.maxCodes + 1)
  }

  /// An identifier with a number (`REMIX_7`) before the reasoning is a family of its own.
  @Test func findsAnIdentifierFamily() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl", generatedCorpus(600) { i in i % 4 == 0 ? "REMIX_\(i % 7) " + naturalOpenings[i % 6] : nil })
    let report = try await CorpusScanner().scan(path: path)
    let family = try #require(
      report.discovered.first { $0.shape == "remix_# …" }, "\(report.discovered.map(\.shape))")
    #expect(family.count == 150 && family.highConfidence)
    #expect(try await acceptedRows(family.rule(), in: path) == 150)
    let (_, removed) = try await repairedPrefixes(path, in: dir)
    #expect(removed.count == 150 && removed.allSatisfy { $0.hasPrefix("REMIX_") && $0.count == 8 })
  }

  /// A word joined to a hex id before the reasoning (`gen-5f37ab98: Okay, so`, four to eight hex
  /// digits, the incident pipeline's row ids in hex) is one family, `gen-#: …`, counted for all
  /// its rows (not only those whose id happens to have no letter), and `--repair` cuts the id
  /// of every one.
  @Test(arguments: [4, 8]) func findsAWordJoinedToHexIDs(digits: Int) async throws {
    let dir = TempDir()
    // Ids with a digit and a letter, as a hex row id nearly always has.
    var state: UInt64 = 7
    let ids = (0..<900).map { _ -> String in
      while true {
        let id = (0..<digits).map { _ -> String in
          state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
          return String(Int(state >> 60), radix: 16)
        }.joined()
        if id.contains(where: \.isNumber) && id.contains(where: \.isLetter) { return id }
      }
    }
    let path = dir.file(
      "c.jsonl", generatedCorpus(900) { i in i % 3 == 0 ? "gen-\(ids[i]): " + naturalOpenings[i % 6] : nil })
    let (_, _, removed) = try await expectConfidentFamily(
      "gen-#: …", rows: 300, counted: 300, in: path, dir: dir)
    #expect(Set(removed) == Set((0..<900).filter { $0 % 3 == 0 }.map { "gen-\(ids[$0]): " }))
  }

  /// A label, a hyphen and a letter before the reasoning (`Variant-A Okay, so`, `Variant-C:
  /// the claim`) is one family, `variant-X …`, confident; its rule flags exactly its rows and
  /// the repair cuts the label and letter (and a colon), never the words after them.
  @Test func findsALabelAndLetterFamily() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(900) { i in
        guard i % 3 == 0 else { return nil }
        let head = "Variant-\(["A", "B", "C", "D"][i / 3 % 4])" + (i % 2 == 0 ? " " : ": ")
        return head + naturalOpenings[i / 3 % naturalOpenings.count]
      })
    let (report, _, removed) = try await expectConfidentFamily(
      "variant-X …", rows: 300, counted: 300, in: path, dir: dir)
    #expect(report.detectors.first { $0.id == "scaffold-prefix" }?.rows == 0)
    #expect(removed.count == 300)
    let headOnly = try Regex(#"^Variant-[A-D]:? $"#)
    #expect(removed.allSatisfy { $0.wholeMatch(of: headOnly) != nil }, "\(Set(removed).sorted().prefix(8))")
    // Natural openings, after the family's head or alone, are never candidates.
    for natural in ["okay, so", "let me think", "first,", "alright,", "hmm,", "so the"] {
      #expect(!report.discovered.contains { $0.shape.hasPrefix(natural) }, "\(natural)")
    }
  }

  /// A hash and a number before the reasoning (`#123 Okay, so`, `#7: the claim`, `#3551. Let
  /// me`) is one
  /// family, `## …`, confident; the repair cuts the hash and number alone.
  @Test func findsAHashAndNumberFamily() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(800) { i in
        i % 4 == 0 ? "#\(i * 37 % 1000 + 1)\([" ", ": ", ". "][i / 4 % 3])" + naturalOpenings[i / 4 % 6] : nil
      })
    let (_, _, removed) = try await expectConfidentFamily("## …", rows: 200, counted: 200, in: path, dir: dir)
    let headOnly = try Regex(#"^#[0-9]+[:.]? $"#)
    #expect(removed.count == 200 && removed.allSatisfy { $0.wholeMatch(of: headOnly) != nil })
  }

  /// Labels with a letter in prose (`Type-A personalities`, `Plan-B is`, `Vitamin-D levels`),
  /// numbered steps (`Step-A:`), labels written one way (`Grade-A work:`, `Class-A:`), Markdown headings
  /// (`## Plan`) and a rare `#1 priority` are no confident family, and the natural openings
  /// around them are no candidates.
  @Test func labelLettersAndHashesInProseAreNoFamily() async throws {
    let dir = TempDir()
    let prose = [
      "Type-A personalities tend to rush, and ", "Type-B personalities tend to wait, and ",
      "Plan-B is to wait, and ", "Plan-A is to act, and ", "Vitamin-D levels matter here, so ",
      "Vitamin-K levels matter here, so ", "Step-A: combine the terms, then ",
      "Step-B: combine the terms, then ",
      "## Plan\n", "## Approach: ", "Grade-A work: ", "Class-A: ",
    ]
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1200) { i in
        if i % 300 == 7 { return "#1 priority is the claim, and " }
        return i % 2 == 0 ? prose[i / 2 % prose.count] : nil
      })
    for report in try await scanBothWays(path) {
      #expect(!report.discovered.contains { $0.highConfidence }, "\(report.discovered.map(\.shape))")
      // Prose after the head is no family's; a label written one way (`Grade-A work:`) is
      // listed at most.
      for shape in ["type-X …", "plan-X …", "vitamin-X …", "## …"] {
        #expect(
          !report.discovered.contains { $0.shape == shape }, "\(shape): \(report.discovered.map(\.shape))")
      }
      for natural in ["okay, so", "let me think", "first,", "alright,", "hmm,", "so the"] {
        #expect(!report.discovered.contains { $0.shape.hasPrefix(natural) }, "\(natural)")
      }
    }
  }

  /// A head family counts an opening only where its rule matches it, whatever the blanks and
  /// separators: a no-break space for a space and a fullwidth colon for a colon, which the
  /// designator rule reads as a blank and a colon, are read so by the family rules too.
  @Test func aHeadFamilyCountsOnlyOpeningsItsRuleMatches() {
    let firsts = [
      "A4 spice combinator：the claim", "A4 spice\u{00A0}combinator: the claim", "A4\tspice：\u{00A0}the claim",
      "QA12b persona\u{00A0}— the claim", "#7：the claim", "Variant-A spice\u{00A0}combinator: the claim",
      "Variant-B：the claim", "E1 spice combinator: café", "A4 spice—the claim", "A4 spice\u{00A0}the claim",
    ]
    for first in firsts {
      var stats = DiscoveryStats()
      stats.addOpenings([first], line: 1)
      for shape in stats.openings.keys where Discovery.headFamily(ofShape: shape) != nil {
        let rule = confidentOpening(shape, example: first).rule()
        #expect(rule.match(first[...]) != nil, "\(shape) counted \(first) but its rule does not match it")
      }
    }
    var stats = DiscoveryStats()
    stats.addOpenings(["A4 spice combinator：the claim"], line: 1)
    #expect(stats.openings["X# …"] == 1)
    #expect(
      confidentOpening("X# …", example: "").rule().match("A4 spice\u{00A0}combinator： the claim"[...])
        == "A4 spice\u{00A0}combinator： ")
  }

  /// A label and a letter inside a tag's brackets (`[Variant-A] …`, `<<Persona-C>> …`) is a
  /// tag: its family takes whatever follows the tag, counted alike on bytes and on
  /// `String`s, and its rule flags every row it was counted from (prose after the tag too).
  @Test func aBracketedLabelAndLetterIsATagFamily() async throws {
    for shape in ["[variant-X] …", "<<persona-X>> …", "{{variant-X}} …"] {
      #expect(Discovery.headFamily(ofShape: shape) == nil, "\(shape)")
    }
    #expect(Discovery.headFamily(ofShape: "**variant-X** …") == .labelLetter)
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(600) { i in
        guard i % 3 == 0 else { return nil }
        let tag = "[Variant-\(["A", "B", "C", "D"][i / 3 % 4])] "
        return tag + (i % 2 == 0 ? "personalities tend to rush, and " : naturalOpenings[i / 3 % 6])
      })
    let reports = try await scanBothWays(path)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    #expect(try encoder.encode(reports[0]) == encoder.encode(reports[1]))
    let family = try #require(
      reports[0].discovered.first { $0.shape == "[variant-X] …" }, "\(reports[0].discovered.map(\.shape))")
    #expect(family.count == 200)
    for byteRows in [true, false] {
      #expect(try await acceptedRows(family.rule(), in: path, byteRows: byteRows, parallelism: 1) == 200)
    }
  }

  /// The head families' rules: a label and a letter, or a hash and a number, then a label to
  /// its colon or the start of a sentence; the head alone is cut before a sentence.
  @Test func theHeadFamilyRulesCutTheHead() {
    let cases: [(String, String, String?)] = [
      ("variant-X …", "Variant-A Okay, so the sum", "Variant-A "),
      ("variant-X …", "Variant-B: the claim", "Variant-B: "),
      ("variant-X …", "VARIANT-C spice combinator: x", "VARIANT-C spice combinator: "),
      ("variant-X …", "variant-D we compute the ratio: 3", "variant-D "),
      ("variant-X …", "Variant-a Okay", nil),
      ("variant-X …", "Variant-AB Okay", nil),
      ("variant-X …", "Variant-A personalities tend", nil),
      ("variant-X …", "Variants-A Okay", nil),
      ("**variant-X** …", "**Variant-B** The claim", "**Variant-B** "),
      ("## …", "#123 Okay, so the sum", "#123 "),
      ("## …", "#7: the claim", "#7: "),
      ("## …", "#42 — the claim", "#42 — "),
      ("## …", "#3551. Let me think", "#3551. "),
      ("## …", "#3. the claim", "#3. "),
      ("## …", "#12.5 percent rose", nil),
      ("## …", "## Plan the steps", nil),
      ("## …", "#1 priority is", nil),
      ("## …", "#a3f9c21 Okay", nil),
      ("## …", "# Okay", nil),
    ]
    for (shape, text, expected) in cases {
      let rule = confidentOpening(shape, example: text).rule()
      #expect(rule.match(text[...]).map(String.init) == expected, "\(shape): \(text)")
      var copy = text
      // ICU decides text that is not plain ASCII (`—`).
      let byHand = copy.withUTF8 { rule.shapeMatcher?.matchLength(atStartOf: $0) }
      let ascii = text.utf8.allSatisfy { $0 < 0x80 }
      #expect(byHand == (ascii ? .some(.some(expected?.utf8.count)) : .some(nil)), "\(shape): \(text)")
    }
  }

  /// A word with a number that opens the same text on every row (`CO2 emissions`, `A4 paper`),
  /// a code before a lower-case noun, or a term written two ways (`BRCA1`/`BRCA2 mutations`)
  /// is no confident candidate: one variant, or prose about the term after it.
  @Test func repeatedTermsAndCodesOnNounsAreNoFamily() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1200) { i in
        let terms = [
          "A4 paper is ", "mp3 files are ", "H2O boils, and ", "T2 weighting shows ",
          // Terms written two ways: an identifier with a number, then prose about it.
          "BRCA\(i % 4 / 2 + 1) mutations raise ", "IL-\(i % 4 < 2 ? 6 : 10) levels rise ",
        ]
        return i % 2 == 0 ? terms[i / 2 % terms.count] : nil
      })
    let report = try await CorpusScanner().scan(path: path)
    #expect(!report.discovered.contains { $0.highConfidence }, "\(report.discovered.map(\.shape))")
  }

  /// The family rule: a label to its colon, or the code alone before a sentence; a sentence
  /// opener is no label (`E5 we compute the ratio: 3` cuts `E5 `).
  @Test func theFamilyRuleCutsALabelOrTheCodeAlone() {
    let family = confidentOpening("X# …", example: "A4 spice combinator: ", count: 300, share: 0.5)
    let rule = family.rule()
    let cases: [(String, String?)] = [
      ("A4 spice combinator: claim 1", "A4 spice combinator: "),
      ("A4 Spice Combinator - the claim", "A4 Spice Combinator - "),
      ("E1: the claim", "E1: "),
      ("E1 Okay, so the sum", "E1 "),
      ("E5 we compute the ratio: 3", "E5 "),
      ("B1 The question asks", "B1 "),
      ("C3 I'm adding", "C3 "),
      ("D2 let's see: 4", "D2 "),
      ("A4 paper is white", nil),
      ("Q3 revenue was up", nil),
      ("H2O boils", nil),
    ]
    for (text, expected) in cases {
      #expect(rule.match(text[...]).map(String.init) == expected, "\(text)")
      var copy = text
      let byHand = copy.withUTF8 { rule.shapeMatcher?.matchLength(atStartOf: $0) }
      #expect(byHand == .some(.some(expected?.utf8.count)), "\(text)")
    }
  }

  /// A shape's words after its code or tag are the row's text: the rule needs them and cuts
  /// the code or tag alone.
  @Test func shapesOfACodeAndWordsCutTheCode() {
    for (shape, text, cut) in [
      ("X# the question", "B1 The question asks", "B1 "),
      ("X# okay, so", "E8 Okay, so we add", "E8 "),
      ("## the claim", "#1000 the claim holds", "#1000 "),
      ("km-# >> the", "KM-7 >> the claim", "KM-7 >> "),
      // The punctuation a code's shape leaves out (`E1.`, `E1,`, `(A4)` are all `X#`).
      ("X# the question", "E1. The question asks", "E1. "),
      ("X# okay, so", "E1, okay, so we", "E1, "),
      ("X# the question", "(A4) the question", "(A4) "),
    ] {
      let rule = confidentOpening(shape, example: text).rule()
      #expect(rule.match(text[...]).map(String.init) == cut, "\(shape)")
      #expect(rule.match("B1 Another text"[...]) == nil, "\(shape)")
    }
  }

  /// The terminal and Markdown tables list the top candidates, every high-confidence one after
  /// them (they take part in `clean`), and say how many more the JSON report has.
  @Test func tablesNeverHideAHighConfidenceCandidate() async throws {
    let dir = TempDir()
    var report = try await CorpusScanner().scan(path: dir.file("c.jsonl", generatedCorpus(50)))
    func candidate(_ k: Int, high: Bool) -> DiscoveryCandidate {
      DiscoveryCandidate(
        kind: .repeatedLine, shape: "line \(k)", count: 3, share: 0.06, unnaturalness: 0.3, score: 0.02,
        highConfidence: high, exampleLines: [1], example: "line \(k)")
    }
    report.discovered = (0..<30).map { candidate($0, high: $0 == 25) }
    let table = report.renderTable()
    #expect(table.contains("\"line 9\"") && !table.contains("\"line 10\""))
    #expect(table.contains("HIGH repeated_line \"line 25\""))
    #expect(table.contains("… and 19 more, none HIGH"))
    let markdown = report.renderMarkdown()
    #expect(
      markdown.contains("`line 19`") && markdown.contains("`line 25`") && !markdown.contains("`line 20`"))
    #expect(markdown.contains("… and 9 more candidates"))
  }

  /// A prefix under the stripped one that two rules find (the designator and the discovered
  /// family) is cut once, and the stacked row is repaired.
  @Test func aStackedPrefixFoundByTwoRulesIsCutOnce() async throws {
    let dir = TempDir()
    var lines = (0..<12).map { i in
      messagesRow("r\(i)", "<think>\nA\(i % 9 + 1) spice combinator: we need \(i) grams.\n</think>\nok")
    }
    lines.append(
      messagesRow(
        "stacked",
        "<think>\nA2 spice combinator: A5 spice combinator: we need 30 grams of salt.\n</think>\nok"))
    let path = dir.file("c.jsonl", lines.joined(separator: "\n") + "\n")
    let (summary, removed) = try await repairedPrefixes(path, in: dir)
    #expect(summary.repaired == 13 && summary.quarantined == 0)
    #expect(removed.suffix(2) == ["A2 spice combinator: ", "A5 spice combinator: "])
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8)
    #expect(clean.contains("<think>\\nwe need 30 grams of salt.") && !clean.contains("spice combinator"))
  }

  /// A prefix that opens several reasoning blocks of a row (one per turn) is cut from each,
  /// even where two detectors find it.
  @Test(arguments: [1, 5, 8]) func aPrefixOpeningEveryTurnIsCutFromEach(turns: Int) async throws {
    let dir = TempDir()
    let lines = (0..<60).map { i -> String in
      let messages = (0..<turns).map { t in
        #"{"role":"user","content":"Question \#(i)-\#(t)?"},{"role":"assistant","content":"<think>\nA\#((i + t) % 9 + 1) spice combinator: case \#(i * 31 + t) needs \#(t + 2) checks.\n</think>\nAnswer \#(t)."}"#
      }
      return #"{"id":"r\#(i)","messages":["# + messages.joined(separator: ",") + "]}"
    }
    let path = dir.file("c.jsonl", lines.joined(separator: "\n") + "\n")
    let (summary, removed) = try await repairedPrefixes(path, in: dir)
    #expect(summary.repaired == 60 && summary.quarantined == 0, "\(turns) turns")
    #expect(removed.count == 60 * turns)
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8)
    #expect(!clean.contains("spice combinator"))
  }

  /// Where the designator reads a sentence as a label (`A1 let me see: `), the repair cuts the
  /// code alone, with or without a discovered family beside it.
  @Test(arguments: [true, false]) func repairKeepsASentenceTheDesignatorTookForALabel(discovery: Bool)
    async throws
  {
    let dir = TempDir()
    let lines = (0..<30).map { i in
      messagesRow(
        "r\(i)", "<think>\nA\(i % 9 + 1) let me see: case \(i * 7) needs \(i + 2) checks.\n</think>\nok")
    }
    let path = dir.file("c.jsonl", lines.joined(separator: "\n") + "\n")
    var config = ScanConfiguration()
    config.discovery = discovery
    let (summary, _) = try await CorpusCleaner(configuration: config, repair: true).clean(
      path: path, cleanOut: dir.path("clean.jsonl"), quarantineOut: dir.path("q.jsonl"),
      auditOut: dir.path("audit.jsonl"))
    #expect(summary.repaired == 30 && summary.quarantined == 0)
    let clean = try String(contentsOfFile: dir.path("clean.jsonl"), encoding: .utf8)
    #expect(clean.components(separatedBy: "<think>\\nlet me see: case ").count - 1 == 30)
    #expect(Repair.scaffoldingOnly("A4 spice combinator: ") == "A4 spice combinator: ")
    #expect(Repair.scaffoldingOnly("E5 we compute the ratio: ") == "E5 ")
    #expect(Repair.scaffoldingOnly("Persona: ") == "Persona: ")
  }

  /// A label of one word and a one-word value closing the first sentence or line is a slot at
  /// the reasoning's start; natural openings, sections, numbers and prose after a label are not.
  @Test func aLabelAndOneWordAtTheStartIsASlot() {
    for (shape, family) in [
      ("style: nurse. okay,", "style: *. …"), ("tone: formal", "tone: *"),
      ("voice: warm; the", "voice: *; …"),
    ] {
      #expect(
        Discovery.openingSlot(ofShape: shape)?.family
          == family)
    }
    for shape in [
      "okay: so the", "answer: yes.", "step #: we", "plan: first we", "style: nurse okay,", "style: #.",
      "x: nurse.",
      "style: nurse. …", "[style: nurse]", "style:", "a4 style: nurse.",
    ] {
      #expect(Discovery.openingSlot(ofShape: shape) == nil, "\(shape)")
    }
    // A label-and-letter value (`type-X`) is none a rule could take.
    #expect(Discovery.openingSlot(ofShape: "style: type-X. okay,") == nil)
    // A label and a word is listed high, never confident alone: a domain writes its own
    // (`Category: electronics.`); a setting's family is its stamp.
    #expect(Discovery.slotUnnaturalness(family: "style: *. …") == Discovery.slotLabelUnnaturalness)
    #expect(Discovery.slotLabelUnnaturalness >= 0.3 && Discovery.slotLabelUnnaturalness < 0.8)
    #expect(Discovery.slotUnnaturalness(family: "persona=*") >= 0.8)
  }

  /// Found in a corpus it was never told about: `Style: <word>.` before a natural opening on a
  /// third of the rows, with five values, splits over too many shapes for any to be a candidate
  /// alone; it is listed as one family, not confident, so `clean` keeps its rows until it is
  /// accepted, and then quarantines exactly them, or `--repair` cuts the label and value. One
  /// value always the same (`Language: English.`) is listed the same way.
  /// A label and a word alone on the reasoning's first line (`Tone: terse`) is one family
  /// (`tone: *`), listed; accepted, `--repair` cuts it with its line break, leaving no blank
  /// line before the reasoning.
  @Test func aSlotAloneOnTheFirstLineIsCutWithItsLineBreak() async throws {
    let values = ["terse", "warm", "dry"]
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(900) { i in
        i % 3 == 0 ? "Tone: \(values[(i / 3) % 3])\n" + naturalOpenings[(i / 9) % naturalOpenings.count] : nil
      })
    let report = try await CorpusScanner().scan(path: path, parallelism: 2)
    let family = try #require(
      report.discovered.first { $0.shape == "tone: *" }, "\(report.discovered.map(\.shape))")
    #expect(family.count == 300 && !family.highConfidence)
    let (summary, removed) = try await repairedPrefixes(path, in: dir, acceptDiscovered: true)
    #expect(summary.repaired == 300 && summary.quarantined == 0, "\(summary)")
    #expect(Set(removed) == Set(values.map { "Tone: \($0)\n" }), "\(Set(removed))")
  }

  @Test func aSlotAtTheStartIsOneFamilyFoundAndCleaned() async throws {
    let values = ["formal", "casual", "terse", "playful", "academic"]
    for header in [false, true] {
      let dir = TempDir()
      let path = dir.file(
        "c.jsonl",
        generatedCorpus(900) { i in
          guard i % 3 == 0 else { return nil }
          let stamp = header ? "Language: English. " : "Style: \(values[(i / 3) % values.count]). "
          return stamp + naturalOpenings[(i / 15) % naturalOpenings.count]
        })
      let reports = try await scanBothWays(path)
      #expect(reports[0].discovered == reports[1].discovered)
      let family = reports[0].discovered.first { $0.shape == (header ? "language: *. …" : "style: *. …") }
      #expect(family?.count == 300, "\(reports[0].discovered.map { ($0.shape, $0.count) })")
      #expect(family?.highConfidence == false)
      #expect(Set(family?.values ?? []) == Set(header ? ["english"] : values))
      let counts = try await defaultCleanCounts(path)
      #expect(counts.quarantined == 0 && counts.clean == 900, "\(counts)")
      let accepted = try await cleanCounts(path, acceptDiscovered: true)
      #expect(accepted.quarantined == 300 && accepted.clean == 600, "\(accepted)")
      let (summary, removed) = try await repairedPrefixes(path, in: dir, acceptDiscovered: true)
      #expect(summary.repaired == 300 && summary.quarantined == 0, "\(summary)")
      #expect(Set(removed) == Set(header ? ["Language: English. "] : values.map { "Style: \($0). " }))
    }
  }

  /// A candidate the user judged natural for the data (`discovery: { ignore: [...] }`, by the
  /// shape the report writes) is neither listed nor cleaned, the rest of discovery unchanged;
  /// an ignore list that is not a list of shapes is refused where it stands.
  @Test func anIgnoredCandidateIsNeitherListedNorCleaned() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(900) { i in
        switch i % 6 {
        case 0:
          "Style: \(["formal", "terse", "warm"][(i / 6) % 3]). "
            + naturalOpenings[(i / 18) % naturalOpenings.count]
        case 1: "Blend matrix \(i % 13) says "
        default: nil
        }
      })
    let rules = dir.file("rules.yaml", "detectors:\n  discovery:\n    ignore: [\"style: *. …\"]\n")
    let config = try Ruleset.load(path: rules)
    #expect(config.discoveryIgnored == ["style: *. …"])
    let before = try await CorpusScanner().scan(path: path, parallelism: 2)
    let after = try await CorpusScanner(configuration: config).scan(path: path, parallelism: 2)
    #expect(before.discovered.contains { $0.shape == "style: *. …" })
    #expect(!after.discovered.contains { $0.shape == "style: *. …" })
    #expect(after.discovered == before.discovered.filter { $0.shape != "style: *. …" })
    #expect(after.discovered.contains { $0.shape == "blend matrix #" })
    // Shards scanned so merge to the same candidates, whatever settings `merge` is given.
    var shards: [ScanReport] = []
    for k in 1...3 {
      let report = try await CorpusScanner(configuration: config).scan(
        path: path, shard: (k, 3), parallelism: 2)
      shards.append(try JSONDecoder().decode(ScanReport.self, from: JSONEncoder().encode(report)))
    }
    #expect(try ShardMerger.merge(shards, configuration: ScanConfiguration()).discovered == after.discovered)
    let summary = try await cleanCounts(path, configuration: config, acceptDiscovered: true)
    // Even with every candidate accepted, the style rows stay clean; the blend family's rows are
    // still quarantined.
    let all = try await cleanCounts(path, acceptDiscovered: true)
    #expect(all.quarantined - summary.quarantined == 150 && summary.quarantined >= 150, "\(all) \(summary)")
    for (yaml, message) in [
      ("detectors:\n  discovery: { ignore: 3 }\n", "rules.yaml:2:"),
      ("detectors:\n  discovery:\n    ignore: [\"\"]\n", "cannot be empty"),
      ("detectors:\n  discovery: { ignore: [[a]] }\n", "rules.yaml:2:"),
    ] {
      let bad = dir.file("rules.yaml", yaml)
      #expect(throws: LeakScannerError.self) { try Ruleset.load(path: bad) }
      do {
        _ = try Ruleset.load(path: bad)
      } catch {
        #expect("\(error)".contains(message), "\(error)")
      }
    }
  }
}
