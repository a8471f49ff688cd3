import ArgumentParser
import EmissionGate
import Foundation
import Logging

/// Output formats for reports.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
  case table, json
}

struct EmissionCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "emission",
    abstract: "Check what a model emitted: reasoning present and closed, length, loops, budget, script.",
    discussion: """
      Reads model outputs (JSONL, one object per line; fields configurable in --config) and \
      gates the run on think presence and closure, think tokens, repetition loops, token-budget \
      exhaustion, mojibake, script drift and run-together words, absolutely or relative to \
      --baseline. Exit status: 0 pass, 1 fail, 2 usage or unreadable input.
      """
  )

  @Argument(help: "Model outputs, JSONL.")
  var outputs: String

  @Option(help: "A baseline run's outputs (JSONL), for relative thresholds.")
  var baseline: String?

  @Option(help: "Gate configuration (YAML): reasoning tags, field paths, check settings, rules.")
  var config: String?

  @Option(help: "Report format: table or json.")
  var format: ReportFormat = .table

  @Option(name: .customLong("rows-out"), help: "Write one JSON object per input row with its check results.")
  var rowsOut: String?

  @Option(
    name: .customLong("template-opens-think"),
    help: "Whether the chat template prefills the opening tag: true, false or auto (overrides --config).")
  var templateOpensThink: String?

  /// `--template-opens-think` as an opening, or nil without it.
  func opening() throws -> ThinkOpening? {
    guard let flag = templateOpensThink?.lowercased() else { return nil }
    switch flag {
    case "true", "yes": return .prefilled
    case "false", "no": return .explicit
    case "auto": return .automatic
    default: throw ValidationError("--template-opens-think takes true, false or auto, not '\(flag)'")
    }
  }

  /// Thrown here, the error shows `emission`'s usage.
  func validate() throws { _ = try opening() }

  func run() async throws {
    var file = EmissionGateFile(configuration: EmissionConfiguration(), rules: nil)
    if let config { file = try EmissionGateFile.load(path: config) }
    if let opening = try opening() { file.configuration.format.opening = opening }
    let rules = file.rules ?? EmissionGate.defaultRules(withBaseline: baseline != nil)
    if baseline == nil, let relative = rules.first(where: { $0.bound.isRelative }) {
      throw CLIError(
        "the rule for \(relative.metric.rawValue) is relative to a baseline: pass --baseline BASE.jsonl or use min/max"
      )
    }
    let analyzer = EmissionAnalyzer(configuration: file.configuration)
    let logger = Logger(label: "fieldeval.emission")
    logger.info("checking outputs", metadata: ["file": "\(outputs)", "rules": "\(rules.count)"])

    var writer: AtomicLineFile? = nil
    if let rowsOut {
      // The rows file replaces what it names: never one of the inputs.
      for (input, what) in [(outputs, "the outputs"), (baseline, "the baseline"), (config, "the gate file")] {
        if let input,
          NamedPath.firstSameFile([NamedPath("--rows-out", rowsOut), NamedPath(what, input)]) != nil
        {
          throw CLIError("--rows-out \(rowsOut) is \(what) (\(input)); name a file of its own")
        }
      }
      TemporaryFiles.removeOnInterrupt()  // interrupted, no hidden temporary file is left
      writer = try AtomicLineFile(path: rowsOut)
    }
    let encoder = JSONOutput.encoder(pretty: false)
    let summary: EmissionSummary
    do {
      if let writer {
        // Rows are written in input order, so one reader streams the file.
        summary = try EmissionSummary.measure(path: outputs, analyzer: analyzer) { row in
          try writer.write(encoder.encode(row))
        }
        try writer.commit()
      } else {
        summary = try await EmissionSummary.measure(
          path: outputs, analyzer: analyzer, parallelism: ProcessInfo.processInfo.activeProcessorCount)
      }
    } catch {
      writer?.abandon()
      throw error
    }
    for issue in summary.issues {
      logger.debug("skipped malformed line", metadata: ["file": "\(outputs)", "issue": "\(issue)"])
    }
    logger.info(
      "checked outputs", metadata: ["rows": "\(summary.overall.rows)", "bad_lines": "\(summary.badLines)"])
    let baselineSummary = try baseline.map { try EmissionSummary.measure(path: $0, analyzer: analyzer) }
    if summary.overall.rows == 0 {
      throw CLIError(
        "\(outputs) has no readable rows (\(summary.badLines) malformed lines); check the file and the field paths in --config"
      )
    }
    if let baseline, let baselineSummary, baselineSummary.overall.rows == 0 {
      throw CLIError(
        "the baseline \(baseline) has no readable rows (\(baselineSummary.badLines) malformed lines); check the file and the field paths in --config"
      )
    }
    if let baseline, let baselineSummary {
      for issue in baselineSummary.issues.prefix(20) {
        logger.warning("malformed baseline line", metadata: ["file": "\(baseline)", "issue": "\(issue)"])
      }
    }
    let report = EmissionGate(rules: rules).evaluate(EmissionRun(summary: summary, baseline: baselineSummary))
    let notes = summary.notes(fields: file.configuration.fields)
    for note in notes { logger.warning("\(note)") }

    switch format {
    case .json:
      var doc = EmissionJSONReport(
        file: outputs, baselineFile: baseline, summary: summary, baseline: baselineSummary, gate: report)
      doc.notes = notes
      try StandardOutput.write(try JSONOutput.encoder().encode(doc) + [0x0A])
    case .table:
      var table = EmissionTable.render(
        file: outputs, summary: summary, baseline: baselineSummary, report: report)
      if !notes.isEmpty { table += "\n\nNotes:\n" + notes.map { "  " + $0 }.joined(separator: "\n") }
      try StandardOutput.write(table + "\n")
    }
    if !report.passed { throw ExitCode(1) }
  }
}

/// The `--format json` document.
struct EmissionJSONReport: Encodable {
  struct Metrics: Encodable {
    var rows: Int
    /// `null` where there is nothing to measure (no rows with reasoning for the token means).
    var metrics: [String: Double?]
    var counts: [String: Int]
    var evidence: [String: [String]]

    init(_ stats: EmissionStats) {
      rows = stats.rows
      metrics = Dictionary(
        uniqueKeysWithValues: EmissionMetric.allCases.map { metric in
          let value = stats.value(of: metric)
          return (metric.rawValue, value.isFinite ? value : nil)
        })
      counts = Dictionary(
        uniqueKeysWithValues: EmissionStats.Flag.allCases.map { ($0.rawValue, stats.count($0)) })
      evidence = Dictionary(uniqueKeysWithValues: stats.evidence.map { ($0.key.rawValue, $0.value) })
    }
  }

  var file: String
  var baselineFile: String?
  var overall: Metrics
  var perCategory: [String: Metrics]
  var baseline: Metrics?
  var badLines: Int
  var issues: [String]
  var baselineBadLines: Int?
  var baselineIssues: [String]?
  var notes: [String] = []
  var gate: GateReport
  var passed: Bool

  init(
    file: String, baselineFile: String?, summary: EmissionSummary, baseline: EmissionSummary?,
    gate: GateReport
  ) {
    self.file = file
    self.baselineFile = baselineFile
    overall = Metrics(summary.overall)
    perCategory = summary.perCategory.mapValues(Metrics.init)
    self.baseline = baseline.map { Metrics($0.overall) }
    badLines = summary.badLines
    issues = summary.issues.map(\.description)
    baselineBadLines = baseline?.badLines
    baselineIssues = baseline?.issues.map(\.description)
    self.gate = gate
    passed = gate.passed
  }

  enum CodingKeys: String, CodingKey {
    case file, overall, baseline, issues, gate, passed, notes
    case baselineFile = "baseline_file"
    case perCategory = "per_category"
    case badLines = "bad_lines"
    case baselineBadLines = "baseline_bad_lines"
    case baselineIssues = "baseline_issues"
  }
}

enum EmissionTable {
  static func pct(_ v: Double) -> String {
    v.isNaN ? "n/a" : String(format: "%.1f%%", v * 100)
  }

  static func value(_ metric: EmissionMetric, _ v: Double) -> String {
    switch metric {
    case .meanThinkTokens, .medianThinkTokens: return v.isNaN ? "n/a" : String(Int(v.rounded()))
    default: return pct(v)
    }
  }

  static func render(file: String, summary: EmissionSummary, baseline: EmissionSummary?, report: GateReport)
    -> String
  {
    var out = "Emission report: \(file)\n"
    out += "rows: \(summary.overall.rows)   malformed lines: \(summary.badLines)\n"
    if let baseline {
      out += "baseline rows: \(baseline.overall.rows)   baseline malformed lines: \(baseline.badLines)\n"
    }
    out += "\n"
    let categories = summary.perCategory.keys.sorted()
    var header = ["metric", "overall"]
    if baseline != nil { header.append("baseline") }
    header += categories
    var rows: [[String]] = []
    for metric in EmissionMetric.allCases {
      var r = [metric.rawValue, value(metric, summary.overall.value(of: metric))]
      if let baseline { r.append(value(metric, baseline.overall.value(of: metric))) }
      for c in categories { r.append(value(metric, summary.perCategory[c]!.value(of: metric))) }
      rows.append(r)
    }
    out += TextTable(header: header, rows: rows).render()
    out += "\nGate checks:\n"
    var checkRows: [[String]] = []
    for check in report.allChecks {
      let isTokens = check.id.hasPrefix("mean_think") || check.id.hasPrefix("median_think")
      let fmt = { (v: Double) in isTokens ? (v.isNaN ? "n/a" : formatNumber(v)) : pct(v) }
      let bound = check.threshold.bound
      var threshold = "\(check.threshold.description.prefix(1)) \(bound.isNaN ? "n/a" : fmt(bound))"
      if let d = check.derivation { threshold += " (\(d))" }
      let evidence = check.passed ? "" : check.evidence.prefix(5).joined(separator: ", ")
      checkRows.append([check.passed ? "PASS" : "FAIL", check.id, fmt(check.measured), threshold, evidence])
    }
    out += TextTable(header: ["", "check", "measured", "threshold", "evidence (row ids)"], rows: checkRows)
      .render()
    if summary.badLines > 0 {
      out += "\nMalformed lines (\(summary.badLines)):\n"
      for issue in summary.issues.prefix(10) { out += "  \(issue)\n" }
      if summary.badLines > 10 { out += "  … \(summary.badLines - 10) more (see --format json)\n" }
    }
    if let baseline, baseline.badLines > 0 {
      out += "\nMalformed baseline lines (\(baseline.badLines)):\n"
      for issue in baseline.issues.prefix(10) { out += "  \(issue)\n" }
      if baseline.badLines > 10 { out += "  … \(baseline.badLines - 10) more (see --format json)\n" }
    }
    out +=
      "\nGate: \(report.passed ? "PASS" : "FAIL") (\(report.failedChecks.count) of \(report.allChecks.count) checks failed)"
    return out
  }
}

/// A plain-text table with aligned columns.
struct TextTable {
  var header: [String]
  var rows: [[String]]

  func render() -> String {
    let columns = header.count
    var widths = header.map(\.count)
    for row in rows {
      for (i, cell) in row.enumerated() where i < columns { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
      var s = ""
      for (i, cell) in cells.enumerated() {
        s += cell + String(repeating: " ", count: widths[i] - cell.count)
        if i < cells.count - 1 { s += "  " }
      }
      while s.hasSuffix(" ") { s.removeLast() }
      return s + "\n"
    }
    var out = line(header)
    out += line(widths.map { String(repeating: "-", count: $0) })
    for row in rows { out += line(row) }
    return out
  }
}
