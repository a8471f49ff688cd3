import Foundation
import TestSupport
import Testing

@testable import EmissionGate

/// Builds a summary with exact rates from synthetic rows.
func summary(
  rows: Int, present: Int, thinkTokens: Int, loops: Int = 0, category: (Int) -> String = { _ in "" }
)
  -> EmissionSummary
{
  var s = EmissionSummary()
  for i in 0..<rows {
    let hasThink = i < present
    s.add(
      EmissionRow(
        id: "row-\(i)", category: category(i), thinkPresent: hasThink, thinkClosed: hasThink,
        thinkEmpty: false,
        thinkBlocks: hasThink ? 1 : 0, thinkPrefilled: false, thinkTokens: hasThink ? thinkTokens : 0,
        answerPresent: true, budgetExhausted: false, repetition: i >= rows - loops, repetitionFragment: nil,
        mojibake: false, scriptDrift: false, driftScript: nil, runTogether: false))
  }
  return s
}

@Suite struct EmissionGateTests {
  @Test func relativeThresholdsResolveAgainstTheBaseline() throws {
    // Baseline: presence 0.60, mean think tokens 1285 → thresholds 0.54 and 963.75.
    let base = summary(rows: 100, present: 60, thinkTokens: 1285)
    let gate = EmissionGate(rules: [
      .atLeastBaseline(.thinkPresenceRate, 0.9), .atLeastBaseline(.meanThinkTokens, 0.75),
    ])

    let ok = gate.evaluate(
      EmissionRun(summary: summary(rows: 100, present: 55, thinkTokens: 1000), baseline: base))
    #expect(ok.passed)
    let presence = try #require(ok.checks.first { $0.id == "think_presence_rate" })
    #expect(abs(presence.threshold.bound - 0.54) < 1e-9)
    #expect(presence.derivation == "0.9 × baseline 0.6")
    let mean = try #require(ok.checks.first { $0.id == "mean_think_tokens" })
    #expect(mean.threshold == .atLeast(963.75))

    let bad = gate.evaluate(
      EmissionRun(summary: summary(rows: 100, present: 53, thinkTokens: 960), baseline: base))
    #expect(!bad.passed)
    #expect(Set(bad.failedChecks.map(\.id)) == ["think_presence_rate", "mean_think_tokens"])
    let evidence = try #require(bad.failedChecks.first { $0.id == "think_presence_rate" }?.evidence)
    #expect(evidence.first == "row-53")
  }

  @Test func relativeRuleWithoutBaselineFailsLoudly() {
    let report = EmissionGate(rules: [.atLeastBaseline(.thinkPresenceRate, 0.9)])
      .evaluate(EmissionRun(summary: summary(rows: 10, present: 10, thinkTokens: 100)))
    #expect(!report.passed)
    #expect(report.checks.first?.derivation?.contains("no baseline") == true)
  }

  @Test func absoluteRulesAndPerCategoryScope() {
    let s = summary(rows: 20, present: 20, thinkTokens: 50, loops: 2) { $0 < 10 ? "patent" : "math" }
    let gate = EmissionGate(rules: [.atMost(.loopRate, 0.15, scope: .overallAndEachCategory)])
    let report = gate.evaluate(EmissionRun(summary: s))
    #expect(
      report.checks.map(\.id) == ["loop_rate", "loop_rate[category=math]", "loop_rate[category=patent]"])
    #expect(report.checks.map(\.passed) == [true, false, true])
    #expect(report.checks[1].measured == 0.2)
    #expect(report.checks[1].evidence == ["row-18", "row-19"])
  }

  @Test func runMetricsOverallAndPerCategory() {
    let analyzer = EmissionAnalyzer()
    let records = [
      OutputRecord(
        id: "1", category: "math", output: "<think>one two three four</think>4", finishReason: .stop),
      OutputRecord(id: "2", category: "math", output: "<think>one two</think>", finishReason: .length),
      OutputRecord(id: "3", category: "patent", output: "no reasoning", finishReason: .stop),
      OutputRecord(id: "4", category: "patent", output: "<think>one two three four five six</think>yes"),
    ]
    let s = EmissionSummary.measure(records, analyzer: analyzer)
    #expect(s.overall.rows == 4)
    #expect(s.overall.value(of: .thinkPresenceRate) == 0.75)
    // Row 3 has no reasoning (presence counts it); no row leaves a block open.
    #expect(s.overall.value(of: .thinkClosedRate) == 1)
    #expect(s.overall.value(of: .exhaustionRate) == 0.25)
    #expect(s.overall.value(of: .answerRate) == 0.75)
    #expect(s.overall.value(of: .meanThinkTokens) == 4)
    #expect(s.overall.value(of: .medianThinkTokens) == 4)
    #expect(s.perCategory["math"]?.value(of: .thinkPresenceRate) == 1)
    #expect(s.perCategory["patent"]?.value(of: .thinkPresenceRate) == 0.5)
    #expect(s.overall.evidence[.thinkMissing] == ["3"])
  }

  @Test func composesWithOtherGates() {
    struct MinRows: Gate {
      func evaluate(_ run: EmissionRun) -> GateReport {
        GateReport(
          name: "min-rows",
          checks: [
            CheckResult(
              id: "rows", description: "rows", measured: Double(run.summary.overall.rows),
              threshold: .atLeast(50),
              passed: run.summary.overall.rows >= 50)
          ])
      }
    }
    let run = EmissionRun(summary: summary(rows: 10, present: 10, thinkTokens: 10))
    let emission = EmissionGate(rules: [.atLeast(.thinkPresenceRate, 0.9)])
    #expect(!AllOf("all", [emission, MinRows()]).evaluate(run).passed)
    #expect(AnyOf("any", [emission, MinRows()]).evaluate(run).passed)
  }
}

@Suite struct RepeatedIDTests {
  /// Rows that repeat an earlier row's id are counted and named, serially and in parallel
  /// pieces alike; rows without an id are not compared.
  @Test func repeatedIDsAreNoted() async throws {
    let dir = TempDir()
    var lines: [String] = []
    for i in 0..<3000 {
      let id = i % 1000 == 7 ? "dup" : "r\(i)"
      lines.append(#"{"id":"\#(id)","output":"<think>one two three</think>4"}"#)
    }
    lines.append(#"{"output":"<think>one</think>4"}"#)
    lines.append(#"{"output":"<think>one</think>4"}"#)
    let path = dir.file("o.jsonl", lines.joined(separator: "\n") + "\n")
    let analyzer = EmissionAnalyzer()
    let serial = try EmissionSummary.measure(path: path, analyzer: analyzer)
    let parallel = try await EmissionSummary.measure(path: path, analyzer: analyzer, parallelism: 4)
    for s in [serial, parallel] {
      #expect(s.repeatedIDCount == 2 && s.repeatedIDs == ["dup", "dup"])
      #expect(
        s.notes(fields: RecordFields()).contains {
          $0.hasPrefix("2 rows repeat an earlier row's id (dup, dup)")
        })
    }
  }
}

@Suite struct GateScopeTests {
  /// A category the run has no row of is a failing check that says so, and `per_category`
  /// checks the baseline's categories too: a category the run lost fails.
  @Test func missingCategoriesFailWithAReason() throws {
    let run = summary(rows: 10, present: 10, thinkTokens: 50) { $0 < 5 ? "math" : "patent" }
    let base = summary(rows: 12, present: 12, thinkTokens: 50) {
      $0 < 4 ? "math" : $0 < 8 ? "patent" : "legal"
    }
    let report = EmissionGate(rules: [
      .atMost(.loopRate, 0.1, scope: .category("nosuch")),
      .atMost(.loopRate, 0.1, scope: .overallAndEachCategory),
    ]).evaluate(EmissionRun(summary: run, baseline: base))
    let unknown = try #require(report.checks.first { $0.id == "loop_rate[category=nosuch]" })
    #expect(!unknown.passed && unknown.derivation?.contains("no row of category 'nosuch'") == true)
    let legal = try #require(report.checks.first { $0.id == "loop_rate[category=legal]" })
    #expect(!legal.passed && legal.derivation?.contains("no row of category 'legal'") == true)
    #expect(report.checks.first { $0.id == "loop_rate[category=math]" }?.passed == true)
    // In JSON a value that is not a number is null, and a threshold names its side.
    let data = try JSONEncoder().encode(unknown)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(object["measured"] is NSNull)
    #expect((object["threshold"] as? [String: Any])?["at_most"] as? Double == 0.1)
    let back = try JSONDecoder().decode(CheckResult.self, from: data)
    #expect(back.id == unknown.id && back.measured.isNaN && back.threshold == .atMost(0.1))
  }
}

@Suite struct EmissionGateFileTests {
  @Test func parsesEverySection() throws {
    let file = try EmissionGateFile.parse(
      """
      reasoning:
        open_tag: "<reasoning>"
        close_tag: "</reasoning>"
        template_opens_think: true
      fields:
        output: choices.0.message.content
        id: request_id
      checks:
        repetition: { min_repeats: 5, min_span_words: 30 }
        script_drift: { expected: [latin, greek], min_run_letters: 6 }
        run_together: { min_word_letters: 30 }
        mojibake: { min_sequences: 2 }
      rules:
        - { metric: think_presence_rate, min_relative: 0.9 }
        - { metric: loop_rate, max: 0.05, per_category: true }
        - { metric: exhaustion_rate, max: 0.1, category: math }
      """)
    let c = file.configuration
    #expect(c.format.openTag == "<reasoning>")
    #expect(c.format.opening == .prefilled)
    #expect(c.fields.output == "choices.0.message.content")
    #expect(c.fields.id == "request_id")
    #expect(c.repetition.minRepeats == 5 && c.repetition.minSpanWords == 30)
    #expect(c.scriptDrift.expected == .scripts([.latin, .greek]))
    #expect(c.scriptDrift.minRunLetters == 6)
    #expect(c.runTogether.minWordLetters == 30)
    #expect(c.mojibake.minSequences == 2)
    #expect(
      file.rules == [
        .atLeastBaseline(.thinkPresenceRate, 0.9),
        .atMost(.loopRate, 0.05, scope: .overallAndEachCategory),
        .atMost(.exhaustionRate, 0.1, scope: .category("math")),
      ])
  }

  func errorText(_ yaml: String) -> String {
    do {
      _ = try EmissionGateFile.parse(yaml, file: "gate.yaml")
      return "no error"
    } catch {
      return "\(error)"
    }
  }

  @Test func errorsNameFileLineAndColumn() {
    #expect(
      errorText("rules:\n  - { metric: think_rate, min: 0.9 }\n").hasPrefix(
        "gate.yaml:2:15: invalid configuration: unknown metric 'think_rate'"))
    #expect(
      errorText("checks:\n  repetition: { min_repeat: 3 }\n").hasPrefix(
        "gate.yaml:2:17: invalid configuration: unknown key 'min_repeat'"))
    #expect(errorText("rules:\n  - { metric: loop_rate, max: lots }\n").contains("gate.yaml:2:31"))
    #expect(errorText("rules:\n  - { metric: loop_rate }\n").contains("needs one of min, max"))
    #expect(errorText("reasoning: [1, 2\n").hasPrefix("gate.yaml:2:"))
    #expect(errorText("fields:\n  output: \"a..b\"\n").contains("gate.yaml:2:11"))
  }

  /// Gates that decide nothing, or one thing two ways, are refused at their line.
  @Test func rulesThatCannotDecideAreRefused() {
    #expect(errorText("rules: []\n").contains("rules is empty"))
    #expect(errorText("rules:\n  - { metric: loop_rate, max: nan }\n").hasPrefix("gate.yaml:2:"))
    #expect(errorText("rules:\n  - { metric: loop_rate, max: .nan }\n").hasPrefix("gate.yaml:2:"))
    #expect(errorText("rules:\n  - { metric: loop_rate, max: 5 }\n").contains("write 0.05 for 5 %"))
    #expect(errorText("rules:\n  - { metric: mean_think_tokens, min: 50 }\n") == "no error")
    #expect(
      errorText("rules:\n  - { metric: loop_rate, max: 0.1, category: math, per_category: true }\n")
        .contains("not both"))
    #expect(errorText("rules:\n  - { metric: loop_rate, max_relative: -1 }\n").contains("at least 0"))
  }
}

@Suite struct ParallelMeasureTests {
  @Test func shardedMeasureEqualsSingleThreaded() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "fieldeval-par-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("outputs.jsonl").path
    var text = ""
    let loop = String(repeating: "check the modulus again ", count: 12)
    for i in 0..<12_000 {
      let output: String
      switch i % 7 {
      case 0: output = "<think>\(loop)"
      case 1: output = "no reasoning at all"
      case 2: output = "reasoning only\\n</think>\\nanswer"
      default: output = "<think>row \(i) reasons about the claim in a few words</think>answer \(i)"
      }
      if i % 1000 == 999 { text += "{broken\n" }
      text +=
        "{\"id\":\"r\(i)\",\"category\":\"c\(i % 3)\",\"output\":\"\(output)\",\"filler\":\"\(String(repeating: "x", count: 200))\"}\n"
    }
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    let analyzer = EmissionAnalyzer()
    let serial = try EmissionSummary.measure(path: path, analyzer: analyzer)
    let parallel = try await EmissionSummary.measure(path: path, analyzer: analyzer, parallelism: 3)
    #expect(serial.overall.rows == 12_000)
    #expect(serial.badLines == 12)
    #expect(parallel.overall.rows == serial.overall.rows)
    #expect(parallel.badLines == serial.badLines)
    #expect(parallel.overall.counts == serial.overall.counts)
    #expect(parallel.overall.closedRows == serial.overall.closedRows)
    #expect(parallel.overall.thinkTokens.sorted() == serial.overall.thinkTokens.sorted())
    #expect(parallel.perCategory.mapValues(\.rows) == serial.perCategory.mapValues(\.rows))
    #expect(parallel.issues.map(\.line) == serial.issues.map(\.line))
    for metric in EmissionMetric.allCases {
      #expect(parallel.overall.value(of: metric) == serial.overall.value(of: metric), "\(metric)")
    }
  }
}
