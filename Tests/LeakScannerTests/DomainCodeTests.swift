import Foundation
import TestSupport
import Testing

@testable import LeakScanner

/// Domain text repeats lines that hold codes (a quarter, an analyte, a chess opening, a
/// formula, a compiler flag) and numbers its paragraphs in brackets; neither is a generator's
/// stamp, so `clean` leaves such rows alone on discovery, while the stamps themselves stay
/// confident.
@Suite struct DomainCodeTests {
  /// A code in the flow of a repeated line is the domain's; a code that opens a label, follows
  /// a generator's label or sits in a tag of its words is a stamp.
  @Test func aCodeInTheFlowOfARepeatedLineIsTheDomains() {
    let domain = [
      "compare with X# #: revenue $#.#b.",
      "step #: X# # (normal #–#).",
      "X# amplification → trastuzumab, pertuzumab, t-dxd.",
      "also check X# levels, about # pg/ml is normal.",
      "elevated X# of # mmhg suggests respiratory acidosis.",
      "plugging $x=#$: the left side is #. good.",
      "$$npv = \\sum_{t=#}^{n} \\frac{cf_t}{(#+r)^t}$$",
      "i'd suggest compiling with `-fsanitize=address -g` and rerunning.",
      "X# revenue was $#m, we need # plus #.",
      "brca# and X# are both tumor suppressors.",
      "#+#=#。",
      "std::cout << x << std::endl;",
      "dear {{title}} and team, thanks.",
      "(eco X#",
      "this is the sicilian (eco X#",
    ]
    for shape in domain {
      #expect(Discovery.unnaturalness(shape, kind: .repeatedLine) < 0.8, "\(shape)")
    }
    let stamps = [
      "X# spice combinator: we need # plus #.",
      "X# spice",
      "persona: X#",
      "variant X# then the claim.",
      "[variant #] we need # plus #.",
      "okay, so [gen #] the sum.",
      "<<persona-X>> the claim is read.",
      "dear {{customer_name}}, thanks.",
      "persona=lawyer. we need # plus #.",
      "pipeline_stage=draft",
      "(variant X#",
      "[[template X#",
      "[sample #]",
    ]
    for shape in stamps {
      #expect(Discovery.unnaturalness(shape, kind: .repeatedLine) >= 0.8, "\(shape)")
    }
    // A bracketed setting or row key and its number in a sentence is judged as its own
    // fragment (`(seed=#)` by its numbers, `[id:#]`): the sentence is listed as prose.
    for sentence in [
      "the claim (seed=#) is read.", "record [id:#] changed.", "so the row [[id:#]] is the one.",
    ] {
      #expect(Discovery.unnaturalness(sentence, kind: .repeatedLine) == 0.5, "\(sentence)")
    }
    // Another stamp beside it still stamps the line.
    #expect(Discovery.unnaturalness("[variant #] record [id:#] changed.", kind: .repeatedLine) >= 0.8)
  }

  /// Lines that recur on a quarter of the rows because the domain writes them (a financial
  /// comparison, a lab value, a chess opening's code, a formula) are listed at most; a
  /// bracketed stamp on as many rows is still quarantined.
  @Test func repeatedDomainLinesAreNotQuarantined() async throws {
    let domainLines = [
      "Compare with Q3 2019: revenue $77.5B.",
      "Step 3: HCO3- 24 (normal 22–26).",
      "This is the Sicilian (ECO B33).",
      "$$NPV = \\sum_{t=0}^{n} \\frac{CF_t}{(1+r)^t}$$",
      "Plugging $x=5$: the left side is 25. Good.",
    ]
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(1000) { i in
        switch i % 4 {
        case 0: "Okay, so the figures first.\n\(domainLines[(i / 4) % domainLines.count])\nThen "
        case 1: "Okay, so the figures first.\n[variant \(i % 9)]\nThen "
        default: nil
        }
      })
    let reports = try await scanBothWays(path)
    #expect(reports[0].discovered == reports[1].discovered)
    let confident = reports[0].discovered.filter(\.highConfidence).map(\.shape)
    #expect(confident.contains("[variant #]"), "\(confident)")
    #expect(
      !confident.contains { $0.contains("X#") || $0.contains("$") || $0.contains("revenue") }, "\(confident)")
    let counts = try await defaultCleanCounts(path)
    #expect(counts.quarantined == 250 && counts.clean == 750)
  }

  /// Patent paragraph numbers (`[0148]`, from a small range, on half of the rows) open no
  /// confident family; a bracketed number new on every row it opens (`[83215]`, `(83215)`) is a
  /// row index, on the byte path and the `RowContext` path alike.
  @Test func bracketedNumbersAreRowIndicesOnlyWhenNewOnEveryRow() async throws {
    let dir = TempDir()
    let paragraphs = dir.file(
      "paragraphs.jsonl",
      generatedCorpus(1000) { i in
        i % 2 == 0 ? String(format: "[%04d] describes the controller. ", (i * 37) % 150 + 1) : nil
      })
    for report in try await scanBothWays(paragraphs) {
      let confident = report.discovered.filter(\.highConfidence).map(\.shape)
      #expect(confident.isEmpty, "\(confident)")
      #expect(report.discovered.contains { $0.shape == "[#] describes the" })
    }
    for (open, close) in [("[", "]"), ("(", ")")] {
      let stamped = dir.file(
        "stamped\(open).jsonl",
        generatedCorpus(1000) { i in i % 10 < 3 ? "\(open)\(80_000 + i * 7)\(close) " : nil })
      let reports = try await scanBothWays(stamped)
      #expect(reports[0].discovered == reports[1].discovered)
      let family = try #require(reports[0].discovered.first { $0.shape == "\(open)#\(close) …" })
      #expect(family.highConfidence && family.count == 300, "\(family)")
    }
  }

  /// A transcript's timestamps (`[03:41] Okay, so`, on a third of the rows, nearly every one
  /// new) are how it marks its lines, not a generator's tag.
  @Test func timestampsOpenNoConfidentFamily() async throws {
    for shape in ["[#:#] okay, so", "[#:#] …", "(#:#:#) the speaker", "[#:#.#] …"] {
      #expect(Discovery.unnaturalness(shape, kind: .opening) < 0.8, "\(shape)")
    }
    #expect(Discovery.unnaturalness("[#-#] okay, so", kind: .opening) == 1)
    let dir = TempDir()
    let path = dir.file(
      "transcript.jsonl",
      generatedCorpus(1200) { i in
        i % 3 == 0
          ? String(format: "[%02d:%02d] Okay, so the speaker says ", (i * 7) % 60, (i * 13) % 60) : nil
      })
    for report in try await scanBothWays(path) {
      #expect(!report.discovered.contains { $0.highConfidence }, "\(report.discovered.map(\.shape))")
    }
  }

  /// Lyrics' sections, PGN tag pairs and chess moves after their number open many rows of
  /// their corpora; a generator's square tag on as many is still confident.
  @Test func lyricsPGNAndChessMovesOpenNoConfidentFamily() async throws {
    for move in ["bxf#", "nd#", "h#", "qxe#+", "o-o", "exd#=q", "rfe#"] {
      #expect(Discovery.isChessMove(move), "\(move)")
    }
    for other in ["persona#", "v#", "x#", "bx", "kqb#"] { #expect(!Discovery.isChessMove(other), "\(other)") }
    let openings = [
      "[Verse 2] The river runs on and ", "[Chorus] We sing it twice and ",
      "[Event \"Open 1994\"] White opens with e4 and ", "After 16. Bxf6 the position is unclear and ",
    ]
    let dir = TempDir()
    for (k, opening) in openings.enumerated() {
      let path = dir.file("c\(k).jsonl", generatedCorpus(1000) { i in i % 10 < 3 ? opening : nil })
      for report in try await scanBothWays(path) {
        #expect(
          !report.discovered.contains { $0.highConfidence }, "\(opening): \(report.discovered.map(\.shape))")
      }
    }
    let stamped = dir.file("stamped.jsonl", generatedCorpus(1000) { i in i % 10 < 3 ? "[gen] " : nil })
    let report = try await CorpusScanner().scan(path: stamped)
    #expect(report.discovered.contains { $0.highConfidence && $0.shape.hasPrefix("[gen]") })
  }

  /// Support tickets, issues, study participants, compiler diagnostics, changelogs, earnings
  /// lines, balanced equations and recipes open a third of their corpora with an id, a place
  /// in a file, a version, a fiscal period, a formula or a quantity; none is a stamp.
  @Test func idsLocationsVersionsFormulasAndQuantitiesOpenNoConfidentFamily() async throws {
    let templates: [(Int) -> String] = [
      { "Ticket #\(900_000 + $0 * 37): customer says " },
      { "Issue #\(3000 + $0 * 7) reports that " },
      { "Participant P\($0 % 40 + 1) is a student and " },
      { "src/lib.rs:\($0 * 3 % 900 + 10): warning: unused variable and " },
      { "django v\($0 % 4 + 1).\($0 % 30).\($0 % 9) changelog: " },
      { "KO Q\($0 % 4 + 1) FY20\($0 % 6 + 20): EPS rose and " },
      { "Balanced: C\($0 % 6 + 1)H12O6 + 6 O2 → products, " },
      { "Serves \($0 % 7 + 2). Prep time is short and " },
    ]
    let dir = TempDir()
    for (k, template) in templates.enumerated() {
      let path = dir.file("c\(k).jsonl", generatedCorpus(1000) { i in i % 10 < 3 ? template(i) : nil })
      for report in try await scanBothWays(path) {
        #expect(
          !report.discovered.contains { $0.highConfidence },
          "\(template(1)): \(report.discovered.map(\.shape))")
      }
    }
    #expect(Discovery.isFileLocation("src/lib.rs:#:") && Discovery.isFileLocation("main.py:#"))
    #expect(!Discovery.isFileLocation("remix:#") && !Discovery.isFileLocation("row_#:"))
    #expect(Discovery.isVersion("v#.#.#") && Discovery.isVersion("(v#.#)"))
    #expect(!Discovery.isVersion("v#") && !Discovery.isVersion("(draft"))
    // A generator's word before the number still numbers the rows.
    #expect(Discovery.unnaturalness("sample #: okay,", kind: .opening) >= 0.8)
    #expect(Discovery.unnaturalness("remix #: okay,", kind: .opening) >= 0.8)
    #expect(Discovery.unnaturalness("okay, X# the", kind: .opening) == 1)
  }

  /// The narrowing leaves a generator's stamps alone: a number after its word before a dash, a
  /// row's number in square brackets, a label opening a short line; lyric headers pass.
  @Test func stampsNearTheDomainsShapesStayConfident() {
    #expect(Discovery.unnaturalness("variant # - okay,", kind: .opening) >= 0.8)
    #expect(Discovery.unnaturalness("[row #] okay, so", kind: .opening) == 1)
    #expect(Discovery.unnaturalness("persona: #", kind: .repeatedLine) >= 0.8)
    #expect(Discovery.unnaturalness("we generated # samples.", kind: .repeatedLine) < 0.8)
    #expect(Discovery.unnaturalness("try variant # next.", kind: .repeatedLine) < 0.8)
    #expect(Discovery.numberingFamily(of: "[#]: okay, so") == "[#] …")
    for lyric in ["[chorus x#] we", "[verse #: kendrick lamar] the", "[verse #a] the"] {
      #expect(Discovery.unnaturalness(lyric, kind: .opening) < 0.8, "\(lyric)")
    }
    let rule = BuiltinDetectors.scaffoldPrefix()
    #expect(findings(rule, "<think>[Row 3886] Okay, so the claim.</think>ok").count == 1)
    for lyric in ["[Chorus x2] We sing.", "[Verse 1: Kendrick Lamar] The city.", "[Verse 2A] The river."] {
      #expect(findings(rule, "<think>\(lyric)</think>ok").isEmpty, "\(lyric)")
    }
  }

  /// Scripts written without spaces fill an opening's first token with a clause, so a number
  /// after it (`好的，我需要计算 # 加`) is in the flow of the sentence, not a stamp.
  @Test func aNumberAfterAnUnspacedClauseIsInTheFlow() async throws {
    #expect(Discovery.unnaturalness("好的，我需要计算 # 加", kind: .opening) < 0.75)
    #expect(Discovery.unnaturalness("blend matrix # says", kind: .opening) == Discovery.numberInTheFlow)
    let dir = TempDir()
    let path = dir.file(
      "zh.jsonl",
      generatedCorpus(1000) { i in i % 2 == 0 ? "好的，我需要计算 \(i * 13 + 7) 加 \(i * 3 + 1)。" : nil })
    let report = try await CorpusScanner().scan(path: path)
    #expect(!report.discovered.contains { $0.highConfidence }, "\(report.discovered.map(\.shape))")
  }

  /// A number that a verb works on or a preposition places opens worked arithmetic (`Subtracting
  /// 19 from both sides`, `Dividing by 4 gives`), however many rows of a templated math corpus
  /// open so: listed, never confident, so `clean` keeps the rows; a label's number stays in the
  /// flow's rank.
  @Test func aQuantityAfterAVerbOrAPrepositionIsArithmetic() async throws {
    for shape in ["subtracting # from", "dividing by # gives", "multiplying both sides by #", "heat to #°c"] {
      #expect(Discovery.unnaturalness(shape, kind: .opening) < 0.5, "\(shape)")
    }
    #expect(Discovery.unnaturalness("blend matrix # says", kind: .opening) == Discovery.numberInTheFlow)
    #expect(Discovery.unnaturalness("sample # okay,", kind: .opening) >= 0.8)
    let dir = TempDir()
    var rows: [String] = []
    for i in 0..<1000 {
      let (a, b) = (i % 19 + 2, i % 23 + 1)
      let opening =
        i % 2 == 0
        ? "Subtracting \(b) from both sides gives $\(a)x = \(a * (i % 40 + 3))$."
        : "We need to solve $\(a)x + \(b) = \(a * (i % 40 + 3) + b)$."
      rows.append(
        messagesRow("m\(i)", "<think>\n\(opening)\nSo $x = \(i % 40 + 3)$.\n</think>\n\n\(i % 40 + 3)"))
    }
    let path = dir.file("math.jsonl", rows.joined(separator: "\n") + "\n")
    let report = try await CorpusScanner().scan(path: path)
    let opening = try #require(report.discovered.first { $0.shape == "subtracting # from" })
    #expect(opening.count == 500)
    #expect(!report.discovered.contains { $0.highConfidence }, "\(report.discovered.map(\.shape))")
    let (summary, _) = try await CorpusCleaner().clean(
      path: path, cleanOut: dir.path("c.jsonl"), quarantineOut: dir.path("q.jsonl"))
    #expect(summary.clean == 1000 && summary.quarantined == 0)
  }

  /// A repeated line that opens with a term of the domain (`V8 engine: displacement # l, # hp.`)
  /// is the domain's, however its code is shaped: listed, not confident; a family code's line
  /// in the same place stays confident.
  @Test func aRepeatedLineOpeningWithADomainTermIsNotConfident() async throws {
    let dir = TempDir()
    func corpus(_ line: (Int) -> String) -> String {
      var rows: [String] = []
      for i in 0..<600 {
        let think = "Okay, so the user asks about car \(i).\n" + (i % 3 == 0 ? line(i) + "\n" : "") + "Done."
        rows.append(messagesRow("r\(i)", "<think>\n\(think)\n</think>\n\nCar \(i)."))
      }
      return rows.joined(separator: "\n") + "\n"
    }
    let domain = dir.file(
      "v8.jsonl", corpus { i in "V8 engine: displacement \(i % 7 + 2) L, \(i % 300 + 100) hp." })
    let report = try await CorpusScanner().scan(path: domain)
    let line = try #require(report.discovered.first { $0.shape == "X# engine: displacement # l, # hp." })
    #expect(!line.highConfidence && line.count == 200)
    let family = dir.file("a4.jsonl", corpus { i in "A4 spice combinator: displacement \(i % 7 + 2) L." })
    let stamped = try await CorpusScanner().scan(path: family)
    #expect(stamped.discovered.contains { $0.shape.hasPrefix("X# spice combinator:") && $0.highConfidence })
  }

  /// A code the sentence is about (`X# is a good move:`), a formula's term (`X# = # hz`), a
  /// reading (`X# #.# ng/ml:`, `high #°c, low`, `ca-# #.# u/ml:`) and a code a noun after an
  /// article names (`the alternative X#`) are the domain's; a label after a code stays a stamp.
  @Test func codesThatSentencesAreAboutAreNotStamps() {
    for shape in [
      "X# = # hz is", "X# #.# ng/ml:", "high #°c, low", "ca-# #.# u/ml:", "the alternative X#", "X# is the",
      "wind #kt means",
    ] {
      #expect(Discovery.unnaturalness(shape, kind: .opening) < 0.75, "\(shape)")
    }
    for line in [
      "X# is a good move: it plays the vital point.", "X# #.# ng/ml: reference range #–# ng/ml.", "X# = #",
    ] {
      #expect(Discovery.unnaturalness(line, kind: .repeatedLine) < 0.8, "\(line)")
    }
    #expect(Discovery.unnaturalness("X# spice combinator:", kind: .opening) == 1)
    #expect(Discovery.unnaturalness("okay, X# spice", kind: .opening) == 1)
    #expect(Discovery.unnaturalness("X# spice combinator: we need # plus #.", kind: .repeatedLine) >= 0.8)
    let rule = BuiltinDetectors.scaffoldPrefix()
    for road in [
      "M1 southbound: two lanes closed.", "A14 westbound: slow traffic.", "A1 anticlockwise: clear.",
    ] {
      #expect(findings(rule, "<think>\(road)</think>ok").isEmpty, "\(road)")
    }
    #expect(findings(rule, "<think>A1 spice combinator: the claim.</think>ok").count == 1)
  }

  /// An opening that restates a code of its prompt (a Go commentary's `Q4`, a lab's `CA-125`)
  /// is not counted as a family, on bytes and through `RowContext` alike, so `clean` keeps the
  /// rows; a designator that the prompt does not hold is still a confident family.
  @Test func openingsThatRestateThePromptsCodeAreNoFamily() async throws {
    let dir = TempDir()
    let columns = Array("ABCDEFGHJKLMNOPQRST")
    let verbs = [
      "cuts at the weak point.", "reduces the moyo.", "extends along the side.", "blocks the invasion.",
    ]
    func corpus(stamped: Bool) -> String {
      (0..<800).map { i in
        let code = "\(columns[i % 19])\((i * 7) % 19 + 1)"
        let other = "\(columns[(i + 5) % 19])\((i * 3) % 19 + 1)"
        let prompt = "Comment on Black's \(code) at move \(i % 250 + 10). The alternative was \(other)."
        let opening =
          stamped && i % 3 == 0
          ? "A\(i % 4 + 1) spice combinator: \(code) \(verbs[i % 4])"
          : (i % 2 == 0 ? "\(code) \(verbs[i % 4])" : "The alternative \(other) would be slower.")
        let answer = "**\(code)** is a good move: it \(verbs[i % 4])"
        return
          "{\"prompt\":\(lit(prompt)),\"response\":\(lit("<think>\n\(opening)\nSente matters here.\n</think>\n\n\(answer)"))}"
      }.joined(separator: "\n") + "\n"
    }
    let natural = dir.file("go.jsonl", corpus(stamped: false))
    for report in try await scanBothWays(natural) {
      #expect(!report.discovered.contains { $0.highConfidence }, "\(report.discovered.map(\.shape))")
      #expect(!report.discovered.contains { $0.kind == .opening && $0.shape.hasPrefix("X#") })
    }
    let (summary, _) = try await CorpusCleaner().clean(
      path: natural, cleanOut: dir.path("c.jsonl"), quarantineOut: dir.path("q.jsonl"))
    #expect(summary.quarantined == 0)
    let stamped = dir.file("stamped.jsonl", corpus(stamped: true))
    for report in try await scanBothWays(stamped) {
      #expect(report.discovered.contains { $0.shape.hasPrefix("X# spice combinator:") && $0.highConfidence })
    }
  }
}
