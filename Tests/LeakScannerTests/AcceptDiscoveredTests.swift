import Foundation
import TestSupport
import Testing

@testable import LeakScanner

/// `--accept-discovered` applies the candidates shaped like a pipeline's stamps
/// (``DiscoveryCandidate/acceptable``), never the domain's repeated prose.
@Suite struct AcceptDiscoveredTests {
  /// Templated sentences of the domain and a repeated natural line, each on a large share of
  /// the rows, are listed but not acceptable: accepting the discovered candidates leaves a
  /// natural corpus clean (it used to quarantine every row).
  @Test func repeatedProseIsListedButNeverAccepted() async throws {
    let dir = TempDir()
    let compounds = [("NaCl", "58.4"), ("H2O", "18.0"), ("CaCO3", "100.1"), ("Fe2O3", "159.7")]
    let path = dir.file(
      "c.jsonl",
      QuotedTextTests.corpus(1200) { i in
        let (name, mass) = compounds[i % compounds.count]
        var lines = ["The molar mass of \(name) is \(mass) g/mol, so \(i % 9 + 1).0 g is 0.\(i % 7 + 1) mol."]
        if i % 5 < 2 { lines.append("Let me double-check the units before going on.") }
        if i % 2 == 0 { lines.append("Possession was \(40 + i % 20)% to \(60 - i % 20)%.") }
        return lines
      })
    let report = try await CorpusScanner().scan(path: path, parallelism: 2)
    let shapes = report.discovered.map(\.shape)
    #expect(shapes.contains("possession was #% to #%."), "\(shapes)")
    #expect(shapes.contains("let me double-check the units before going on."), "\(shapes)")
    #expect(report.discovered.allSatisfy { !$0.acceptable }, "\(report.discovered.filter(\.acceptable))")
    #expect(try await cleanCounts(path, acceptDiscovered: true).quarantined == 0)
    // Written to a ruleset, they are there to accept one by one, commented out.
    let yaml = Ruleset.yaml(for: [], listed: report.discovered)
    #expect(yaml.contains("# - id: discovered-possession-was"), "\(yaml)")
  }

  /// A rating of the row, a grade's slot, and numbered headings of the generator's words are
  /// acceptable but not confident: a default clean leaves them, `--accept-discovered` takes
  /// exactly their rows, and the table marks them `acc`.
  @Test(arguments: [
    ("quality score: #/#", true),
    ("### variant #", false),
    ("--- sample # ---", false),
    ("rewrite ##:", false),
  ])
  func stampShapedLinesAreAccepted(shape: String, inReasoning: Bool) async throws {
    let dir = TempDir()
    func stamp(_ i: Int) -> String {
      switch shape {
      case "quality score: #/#": "Quality score: \(i % 4 + 6)/10"
      case "### variant #": "### Variant \(i % 5 + 1)"
      case "--- sample # ---": "--- sample \(i % 8 + 1) ---"
      default: "Rewrite #\(i % 40 + 10):"
      }
    }
    let planted = { (i: Int) in i % 3 == 0 }
    let path = dir.file(
      "c.jsonl",
      QuotedTextTests.corpus(
        900, extra: { i in inReasoning && planted(i) ? [stamp(i)] : [] },
        answer: { i in
          let text = "The total is \(i * 3) units, since each box holds three."
          return !inReasoning && planted(i) ? stamp(i) + "\n" + text : text
        }))
    let reports = try await scanBothWays(path)
    #expect(reports[0].discovered == reports[1].discovered)
    let found = try #require(
      reports[0].discovered.first { $0.shape == shape }, "\(reports[0].discovered.map(\.shape))")
    #expect(found.count == 300 && found.acceptable && !found.highConfidence, "\(found)")
    #expect(try await defaultCleanCounts(path).quarantined == 0)
    let accepted = try await cleanCounts(path, acceptDiscovered: true)
    #expect(accepted.quarantined == 300 && accepted.clean == 600, "\(accepted)")
    let table = reports[0].renderTable()
    #expect(table.contains("acc  repeated_line \"\(shape)\""), "\(table)")
    #expect(reports[0].renderMarkdown().contains("| accept | repeated_line | `\(shape)` |"))
  }

  /// Which line shapes rank as a stamp to accept (``Discovery/unnaturalness(_:kind:)``).
  @Test func headingsAndRatingsRankAsStamps() {
    let u = { (shape: String) in Discovery.unnaturalness(shape, kind: .repeatedLine) }
    for shape in [
      "### variant #", "## rewrite #", "--- sample # ---", "=== draft # ===", "rewrite ##:", "candidate #:",
      "quality score: #/#", "quality: #.#", "quality rating: #/#",
    ] {
      #expect(u(shape) >= DiscoveryCandidate.acceptUnnaturalness, "\(shape)")
      #expect(u(shape) < 0.8, "\(shape) must not be confident")
    }
    // A document's own headings, a title after the number, a rule of another word, scores of a
    // game or a test, and a quality that is a sentence's subject.
    for shape in [
      "### step #", "### variant # of the brca# gene", "--- page # ---", "--- sample # results", "score: #/#",
      "final score: #-#", "quality of fit: #.#", "the quality score was #/#.", "### chapter #", "step #:",
    ] {
      #expect(u(shape) < DiscoveryCandidate.acceptUnnaturalness, "\(shape)")
    }
  }

  /// A generator's count of its outputs and its sampling settings in brackets, within a line,
  /// rank as stamps to accept; a bracket of prose, one setting alone and a study's counts do not.
  @Test func bracketedCountsAndSettingsRankAsStamps() {
    let u = { (shape: String) in Discovery.unnaturalness(shape, kind: .repeatedLine) }
    for shape in [
      "(sample # of #)", "[draft # of #]", "(batch #, temp #.#)", "(seed #, top_p #.#)",
      "(temp #.#, batch #)",
    ] {
      #expect(u(shape) >= DiscoveryCandidate.acceptUnnaturalness, "\(shape)")
      #expect(u(shape) < 0.8, "\(shape) must not be confident")
    }
    for shape in [
      "(step # of #)", "(page # of #)", "(sample # of # patients)", "(temp #.#)", "(batch #, lr #e-#)",
      "(temperature #.# k)", "(n = #, p < #.#)",
    ] {
      #expect(u(shape) < DiscoveryCandidate.acceptUnnaturalness, "\(shape)")
    }
  }

  /// A seed cited in the flow of an experiment's sentences (`the baseline run (seed=42)`), its
  /// few numbers repeating, is listed to accept; a pipeline's seed, new on nearly every row, is
  /// confident, and `clean` takes its rows unasked.
  @Test func aSeedCitedInProseIsListedAndAPipelinesSeedIsConfident() async throws {
    let dir = TempDir()
    let seeds = [0, 1, 42, 42, 42, 1234, 2024, 7]
    let sentences = [
      "The baseline run (seed=%d) reached 0.81 accuracy, so the gap is real.",
      "Rerunning with a fixed seed (seed=%d) gives 0.79, within noise.",
      "Their table reports 0.84 for the small model (seed=%d).",
    ]
    let cited = dir.file(
      "cited.jsonl",
      QuotedTextTests.corpus(1200) { i in
        i % 4 == 0 ? [String(format: sentences[(i / 4) % 3], seeds[(i / 12) % seeds.count])] : []
      })
    let report = try await CorpusScanner().scan(path: cited, parallelism: 2)
    let setting = try #require(report.discovered.first { $0.shape == "(seed=#)" }, "\(report.discovered)")
    #expect(setting.count == 300 && setting.acceptable && !setting.highConfidence, "\(setting)")
    // The report shows the few numbers that decided (six seeds, one of them three times).
    #expect((1...8).contains(setting.distinctNumbers ?? 0), "\(setting)")
    #expect(
      report.discovered.allSatisfy { !$0.highConfidence }, "\(report.discovered.filter(\.highConfidence))")
    #expect(try await defaultCleanCounts(cited).quarantined == 0)
    var rng = SystemRandomNumberGenerator()
    let stamped = dir.file(
      "stamped.jsonl",
      QuotedTextTests.corpus(1200) { i in
        i % 4 == 0 ? ["The claim is checked next. (seed=\(Int.random(in: 1...999_999, using: &rng)))"] : []
      })
    let both = try await scanBothWays(stamped)
    #expect(both[0].discovered == both[1].discovered)
    #expect(
      both[0].discovered.contains { $0.shape == "(seed=#)" && $0.highConfidence }, "\(both[0].discovered)")
    #expect(try await defaultCleanCounts(stamped).quarantined == 300)
  }

  /// Settings cited in the flow of an experiment's sentences (`using seed=42, the run`, `at
  /// temperature=0.7 the outputs`, `the plot for [sample 3] shows`) leave the sentence prose;
  /// a setting that opens a line, follows its sentence or stands on its own line stamps it.
  @Test func settingsInTheFlowOfASentenceAreProse() async throws {
    let u = { (shape: String) in Discovery.unnaturalness(shape, kind: .repeatedLine) }
    for shape in [
      "using seed=#, the run reached #.#.", "i set seed=# for reproducibility.",
      "at temperature=#.# the outputs get more varied.",
      "sampling with top_p=#.# and temperature=#.# is typical.",
      "the plot for [sample #] shows a peak.",
    ] {
      #expect(u(shape) == 0.5, "\(shape)")
    }
    for shape in [
      "then check the result. seed=#", "seed=# then check the result.", "seed=# temperature=#.#",
      "the claim persona=lawyer is read.", "[variant #] the claim is read.",
    ] {
      #expect(u(shape) >= 0.8, "\(shape)")
    }
    let dir = TempDir()
    let sentences = [
      "Using seed=%d, the run reached 0.81.", "I set seed=%d for reproducibility.",
      "The plot for [sample %d] shows a peak.",
    ]
    let cited = dir.file(
      "cited.jsonl",
      QuotedTextTests.corpus(1200) { i in
        i % 4 == 0 ? [String(format: sentences[(i / 4) % 3], [0, 1, 42, 42, 7][(i / 12) % 5])] : []
      })
    let reports = try await scanBothWays(cited)
    #expect(reports[0].discovered == reports[1].discovered)
    #expect(
      reports[0].discovered.allSatisfy { !$0.highConfidence },
      "\(reports[0].discovered.filter(\.highConfidence))")
    #expect(try await defaultCleanCounts(cited).quarantined == 0)
  }

  /// A line that a bare numeric setting stamps (`Config: seed=42, batch size 64.`, `seed=42
  /// alone does not make runs deterministic.`) is judged by its numbers: an experiment's few
  /// seeds are listed to accept, a pipeline's seed new on nearly every row is confident.
  @Test func aLineStampedByASettingIsJudgedByItsNumbers() async throws {
    #expect(Discovery.isStampedByNumericSettingsOnly("config: seed=#, batch size #, lr=#e-#."))
    #expect(Discovery.isStampedByNumericSettingsOnly("seed=# alone does not make runs deterministic."))
    #expect(!Discovery.isStampedByNumericSettingsOnly("persona=lawyer the claim is read."))
    #expect(!Discovery.isStampedByNumericSettingsOnly("seed=# [variant #] the claim is read."))
    #expect(!Discovery.isStampedByNumericSettingsOnly("the claim is read first."))
    let dir = TempDir()
    let seeds = [0, 1, 7, 42, 42, 123]
    var rng = SystemRandomNumberGenerator()
    for pipeline in [false, true] {
      let path = dir.file(
        "c\(pipeline).jsonl",
        QuotedTextTests.corpus(1200) { i in
          guard i % 4 == 0 else { return [] }
          let seed = pipeline ? Int.random(in: 1...999_999, using: &rng) : seeds[(i / 4) % seeds.count]
          return i % 8 == 0
            ? ["Config: seed=\(seed), batch size 64."]
            : ["seed=\(seed) alone does not make runs deterministic."]
        })
      let reports = try await scanBothWays(path)
      #expect(reports[0].discovered == reports[1].discovered)
      for shape in ["config: seed=#, batch size #.", "seed=# alone does not make runs deterministic."] {
        let c = try #require(reports[0].discovered.first { $0.shape == shape }, "\(reports[0].discovered)")
        #expect(c.count == 150 && c.acceptable && c.highConfidence == pipeline, "\(c)")
      }
      #expect(try await defaultCleanCounts(path).quarantined == (pipeline ? 300 : 0))
    }
  }

  /// The numbers decide only for a seed's own number: a pipeline's seed in the flow of a
  /// sentence is confident when new on every row, a constant setting of another key
  /// (`temperature=0.7, top_k=40`) stays a confident stamp, a seed that repeats beside a
  /// number new on every line is not taken for a new seed, and under 20 rows a bracketed seed
  /// stays confident.
  @Test func onlyASeedsOwnNumbersDecide() async throws {
    let dir = TempDir()
    var rng = SystemRandomNumberGenerator()
    let cases: [(String, (Int) -> String, Int, Bool)] = [
      (
        "generated with seed=# for this row.",
        { _ in "Generated with seed=\(Int.random(in: 1...999_999, using: &rng)) for this row." }, 1200, true
      ),
      (
        "gen config: temperature=#.#, top_k=#.", { _ in "Gen config: temperature=0.7, top_k=40." }, 1200, true
      ),
      (
        "config: seed=#, step #.",
        { _ in "Config: seed=42, step \(Int.random(in: 1...999_999, using: &rng))." }, 1200, false
      ),
      (
        "(seed=#)", { _ in "The claim is read. (seed=\(Int.random(in: 1...999_999, using: &rng)))" }, 64, true
      ),
    ]
    for (shape, line, rows, confident) in cases {
      let path = dir.file(
        "c\(shape.count).jsonl", QuotedTextTests.corpus(rows) { i in i % 4 == 0 ? [line(i)] : [] })
      let reports = try await scanBothWays(path)
      #expect(reports[0].discovered == reports[1].discovered)
      let c = try #require(
        reports[0].discovered.first { $0.shape == shape }, "\(reports[0].discovered.map(\.shape))")
      #expect(c.highConfidence == confident && c.acceptable, "\(c)")
    }
    #expect(
      Discovery.unnaturalness("quality score: #.#/#", kind: .repeatedLine)
        == DiscoveryCandidate.acceptUnnaturalness)
  }

  /// Planted within reasoning lines, such a bracket is found as a fragment, listed `acc`, and
  /// `--accept-discovered` takes exactly its rows.
  @Test(arguments: ["(sample # of #)", "(batch #, temp #.#)"])
  func bracketedStampsWithinALineAreAccepted(shape: String) async throws {
    let dir = TempDir()
    var rng = SystemRandomNumberGenerator()
    let path = dir.file(
      "c.jsonl",
      generatedCorpus(900) { i in
        guard i % 3 == 0 else { return nil }
        let stamp =
          shape.hasPrefix("(sample")
          ? "(sample \(i % 5 + 1) of 5)"
          : "(batch \(Int.random(in: 1...400, using: &rng)), temp 0.\(i % 9 + 1))"
        return naturalOpenings[i % naturalOpenings.count] + "\(stamp) "
      })
    let reports = try await scanBothWays(path)
    #expect(reports[0].discovered == reports[1].discovered)
    let found = try #require(
      reports[0].discovered.first { $0.shape == shape }, "\(reports[0].discovered.map(\.shape))")
    #expect(found.count == 300 && found.acceptable, "\(found)")
    let accepted = try await cleanCounts(path, acceptDiscovered: true)
    #expect(accepted.quarantined == 300 && accepted.clean == 600, "\(accepted)")
  }
}
