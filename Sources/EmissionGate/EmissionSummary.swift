/// A per-run measurement that emission rules can gate on.
public enum EmissionMetric: String, Sendable, Hashable, Codable, CaseIterable {
  /// Share of rows with non-empty reasoning.
  case thinkPresenceRate = "think_presence_rate"
  /// Share of rows whose reasoning blocks are all closed.
  case thinkClosedRate = "think_closed_rate"
  /// Mean reasoning tokens over rows with reasoning.
  case meanThinkTokens = "mean_think_tokens"
  /// Median reasoning tokens over rows with reasoning.
  case medianThinkTokens = "median_think_tokens"
  /// Share of rows with an answer after the reasoning.
  case answerRate = "answer_rate"
  /// Share of rows with a repetition loop.
  case loopRate = "loop_rate"
  /// Share of rows that exhausted the token budget.
  case exhaustionRate = "exhaustion_rate"
  /// Share of rows with mojibake.
  case mojibakeRate = "mojibake_rate"
  /// Share of rows with script drift.
  case scriptDriftRate = "script_drift_rate"
  /// Share of rows with run-together words.
  case runTogetherRate = "run_together_rate"
  /// Malformed lines (invalid JSON or UTF-8, a missing field, a line too long) among all lines
  /// read: a run whose outputs cannot be read is not a passing run.
  case badLineRate = "bad_line_rate"

  /// What the metric measures, in words.
  public var summary: String {
    switch self {
    case .thinkPresenceRate: return "rows with non-empty reasoning"
    case .thinkClosedRate: return "rows without an unclosed reasoning block"
    case .meanThinkTokens: return "mean reasoning tokens"
    case .medianThinkTokens: return "median reasoning tokens"
    case .answerRate: return "rows with an answer after reasoning"
    case .loopRate: return "rows with a repetition loop"
    case .exhaustionRate: return "rows that hit the token budget"
    case .mojibakeRate: return "rows with mojibake"
    case .scriptDriftRate: return "rows with script drift"
    case .runTogetherRate: return "rows with run-together words"
    case .badLineRate: return "malformed lines among all lines"
    }
  }

  /// The per-row flag whose failing rows are evidence for this metric, if any.
  /// Whether the metric is a share of rows (0 to 1), not a token count.
  public var isRate: Bool { self != .meanThinkTokens && self != .medianThinkTokens }

  var evidenceFlag: EmissionStats.Flag? {
    switch self {
    case .thinkPresenceRate: return .thinkMissing
    case .thinkClosedRate: return .thinkUnclosed
    case .answerRate: return .answerMissing
    case .loopRate: return .repetition
    case .exhaustionRate: return .budgetExhausted
    case .mojibakeRate: return .mojibake
    case .scriptDriftRate: return .scriptDrift
    case .runTogetherRate: return .runTogether
    case .badLineRate: return .badLine
    case .meanThinkTokens, .medianThinkTokens: return nil
    }
  }
}

/// Counts and rates over a set of rows (a whole run or one category).
public struct EmissionStats: Sendable, Hashable, Codable {
  /// Per-row conditions that are counted and kept as evidence.
  public enum Flag: String, Sendable, Hashable, Codable, CaseIterable, CodingKeyRepresentable {
    /// No non-empty reasoning.
    case thinkMissing = "think_missing"
    /// Reasoning emitted but not closed.
    case thinkUnclosed = "think_unclosed"
    /// Only empty reasoning blocks.
    case thinkEmpty = "think_empty"
    /// No answer after reasoning.
    case answerMissing = "answer_missing"
    /// Repetition loop.
    case repetition
    /// Token budget exhausted.
    case budgetExhausted = "budget_exhausted"
    /// Mojibake.
    case mojibake
    /// Script drift.
    case scriptDrift = "script_drift"
    /// Run-together words.
    case runTogether = "run_together"
    /// A malformed line (its evidence is `line N`).
    case badLine = "bad_line"
  }

  /// Rows counted.
  public var rows: Int = 0
  /// Rows whose reasoning blocks exist and are all closed.
  public var closedRows: Int = 0
  /// Rows per flag.
  public var counts: [Flag: Int] = [:]
  /// Up to the evidence limit of row ids per flag.
  public var evidence: [Flag: [String]] = [:]
  /// Reasoning token counts of rows with reasoning (for the mean and median).
  public var thinkTokens: [Int] = []

  /// Creates empty statistics.
  public init() {}

  /// Adds one row.
  public mutating func add(_ row: EmissionRow, evidenceLimit: Int) {
    rows += 1
    func flag(_ f: Flag, _ on: Bool) {
      guard on else { return }
      counts[f, default: 0] += 1
      if evidence[f, default: []].count < evidenceLimit { evidence[f, default: []].append(row.id) }
    }
    flag(.thinkMissing, !row.thinkPresent)
    flag(.thinkUnclosed, row.thinkBlocks > 0 && !row.thinkClosed)
    flag(.thinkEmpty, row.thinkEmpty)
    flag(.answerMissing, !row.answerPresent)
    flag(.repetition, row.repetition)
    flag(.budgetExhausted, row.budgetExhausted)
    flag(.mojibake, row.mojibake)
    flag(.scriptDrift, row.scriptDrift)
    flag(.runTogether, row.runTogether)
    if row.thinkPresent { thinkTokens.append(row.thinkTokens) }
    if row.thinkClosed { closedRows += 1 }
  }

  /// Adds another set's rows.
  /// Counts a malformed line (`line N` as its evidence).
  /// (Counted in the overall statistics only: a line that cannot be read has no category.)
  public mutating func add(badLine issue: LineIssue, evidenceLimit: Int) {
    counts[.badLine, default: 0] += 1
    if evidence[.badLine, default: []].count < evidenceLimit {
      evidence[.badLine, default: []].append("line \(issue.line)")
    }
  }

  public mutating func merge(_ other: EmissionStats, evidenceLimit: Int) {
    rows += other.rows
    closedRows += other.closedRows
    for (flag, n) in other.counts { counts[flag, default: 0] += n }
    for (flag, ids) in other.evidence {
      let room = max(0, evidenceLimit - evidence[flag, default: []].count)
      evidence[flag, default: []] += ids.prefix(room)
    }
    thinkTokens += other.thinkTokens
  }

  /// Rows with the flag.
  public func count(_ flag: Flag) -> Int { counts[flag] ?? 0 }

  func rate(_ n: Int) -> Double { rows == 0 ? .nan : Double(n) / Double(rows) }

  /// The value of a metric (NaN when undefined, e.g. no rows).
  public func value(of metric: EmissionMetric) -> Double {
    switch metric {
    case .thinkPresenceRate: return rate(rows - count(.thinkMissing))
    // A row without reasoning has none left open: `think_presence_rate` counts it, and the
    // closed rate agrees with its count and evidence (`think_unclosed`).
    case .thinkClosedRate: return rate(rows - count(.thinkUnclosed))
    case .meanThinkTokens: return Statistics.mean(thinkTokens)
    case .medianThinkTokens: return Statistics.median(thinkTokens)
    case .answerRate: return rate(rows - count(.answerMissing))
    case .loopRate: return rate(count(.repetition))
    case .exhaustionRate: return rate(count(.budgetExhausted))
    case .mojibakeRate: return rate(count(.mojibake))
    case .scriptDriftRate: return rate(count(.scriptDrift))
    case .runTogetherRate: return rate(count(.runTogether))
    case .badLineRate:
      let bad = count(.badLine)
      return rows + bad == 0 ? .nan : Double(bad) / Double(rows + bad)
    }
  }
}

/// The measurements of one run: overall, per category, and the malformed input lines.
public struct EmissionSummary: Sendable, Hashable, Codable {
  /// All rows.
  public var overall = EmissionStats()
  /// Rows by category (rows without a category are only in ``overall``).
  public var perCategory: [String: EmissionStats] = [:]
  /// Malformed input lines (all of them are counted in ``badLines``; the first 1,000 are kept).
  public var issues: [LineIssue] = []
  /// Number of malformed input lines.
  public var badLines = 0
  /// Row ids kept as evidence per flag.
  public var evidenceLimit = 20
  /// Rows in which each optional field was found (`category`, `prompt`, `completion_tokens`,
  /// `max_new_tokens`, `finish_reason`, `template_opens_think`): a field path that finds no row
  /// disables the checks that read it, which a report should say.
  public var fieldsFound: [String: Int] = [:]
  /// Rows whose id an earlier row has (ids `line-N`, which rows without an id are given, are
  /// not compared): a probe set run twice, or ids that collide.
  public var repeatedIDCount = 0
  /// The first repeated ids (at most ``evidenceLimit``).
  public var repeatedIDs: [String] = []
  /// The ids seen (not encoded: a report carries the repeats only).
  var ids: Set<String> = []

  enum CodingKeys: String, CodingKey {
    case overall, perCategory, issues, badLines, evidenceLimit, fieldsFound, repeatedIDCount, repeatedIDs
  }

  /// Counts `id` in ``repeatedIDCount`` when an earlier row had it.
  mutating func noteID(_ id: String) {
    guard !ids.insert(id).inserted else { return }
    repeatedIDCount += 1
    if repeatedIDs.count < evidenceLimit { repeatedIDs.append(id) }
  }

  /// Counts the optional fields `record` holds in ``fieldsFound``, and its id.
  mutating func noteFields(of record: OutputRecord) {
    // A row without an id is numbered `line-N` by its line, which never repeats.
    if !record.id.hasPrefix("line-") { noteID(record.id) }
    let found: [(String, Bool)] = [
      ("category", !record.category.isEmpty), ("prompt", record.prompt != nil),
      ("completion_tokens", record.completionTokens != nil), ("max_new_tokens", record.maxNewTokens != nil),
      ("finish_reason", record.finishReason != nil), ("template_opens_think", record.thinkOpening != nil),
    ]
    for (name, present) in found { fieldsFound[name, default: 0] += present ? 1 : 0 }
  }

  /// Creates an empty summary.
  public init(evidenceLimit: Int = 20) { self.evidenceLimit = evidenceLimit }

  /// Adds one checked row.
  public mutating func add(_ row: EmissionRow) {
    overall.add(row, evidenceLimit: evidenceLimit)
    if !row.category.isEmpty {
      perCategory[row.category, default: EmissionStats()].add(row, evidenceLimit: evidenceLimit)
    }
  }

  /// Records a malformed input line.
  public mutating func add(_ issue: LineIssue) {
    badLines += 1
    overall.add(badLine: issue, evidenceLimit: evidenceLimit)
    if issues.count < 1000 { issues.append(issue) }
  }

  /// Checks every record of a JSONL file, streaming, and summarizes them.
  ///
  /// - Parameters:
  ///   - path: the outputs file.
  ///   - analyzer: the checks to run.
  ///   - onRow: called with each checked row, in file order (e.g. to write `--rows-out`).
  /// - Throws: ``EvalCoreError/unreadableFile(path:reason:)`` when the file cannot be read,
  ///   ``EvalCoreError/notARegularFile(path:kind:)`` when it is a pipe, a device or a directory.
  public static func measure(
    path: String, analyzer: EmissionAnalyzer, onRow: (EmissionRow) throws -> Void = { _ in }
  ) throws -> EmissionSummary {
    var summary = EmissionSummary(evidenceLimit: analyzer.configuration.evidenceLimit)
    let reader = OutputRecordReader(path: path, fields: analyzer.configuration.fields)
    try reader.forEach { record in
      let row = analyzer.analyze(record)
      summary.add(row)
      summary.noteFields(of: record)
      try onRow(row)
    } onIssue: { issue in
      summary.add(issue)
    }
    return summary
  }

  /// Checks a JSONL file on several threads, each reading its own byte range, and merges the
  /// results. The summary equals the single-threaded one except that evidence row ids are
  /// kept per shard in file order.
  public static func measure(path: String, analyzer: EmissionAnalyzer, parallelism: Int) async throws
    -> EmissionSummary
  {
    let size = try JSONLReader(path: path).fileSize()
    let pieces = ParallelLines.pieces(of: 0..<size, parallelism: parallelism)
    let newlinesBefore = try await ParallelLines.newlinesBefore(
      pieces, in: JSONLReader(path: path), parallelism: parallelism)
    let fields = analyzer.configuration.fields
    let limit = analyzer.configuration.evidenceLimit
    let parts = try await ParallelLines.inParallel(
      Array(zip(pieces, newlinesBefore)), parallelism: parallelism
    ) {
      range, newlines in
      var summary = EmissionSummary(evidenceLimit: limit)
      var reader = OutputRecordReader(path: path, fields: fields)
      reader.reader.byteRange = range
      reader.reader.newlinesBefore = newlines
      try reader.forEach {
        summary.add(analyzer.analyze($0))
        summary.noteFields(of: $0)
      } onIssue: {
        summary.add($0)
      }
      return summary
    }
    var total = EmissionSummary(evidenceLimit: limit)
    for part in parts { total.merge(part) }
    return total
  }

  /// Adds another summary's rows (e.g. of another shard of the same run).
  public mutating func merge(_ other: EmissionSummary) {
    overall.merge(other.overall, evidenceLimit: evidenceLimit)
    for (category, stats) in other.perCategory {
      perCategory[category, default: EmissionStats()].merge(stats, evidenceLimit: evidenceLimit)
    }
    badLines += other.badLines
    issues += other.issues.prefix(max(0, 1000 - issues.count))
    for (name, n) in other.fieldsFound { fieldsFound[name, default: 0] += n }
    // A later piece's rows come after this one's: its ids seen here are repeats.
    repeatedIDCount += other.repeatedIDCount
    for id in other.repeatedIDs where repeatedIDs.count < evidenceLimit { repeatedIDs.append(id) }
    for id in other.ids { noteID(id) }
  }

  /// Checks in-memory records.
  public static func measure(_ records: some Sequence<OutputRecord>, analyzer: EmissionAnalyzer)
    -> EmissionSummary
  {
    var summary = EmissionSummary(evidenceLimit: analyzer.configuration.evidenceLimit)
    for record in records {
      summary.add(analyzer.analyze(record))
      summary.noteFields(of: record)
    }
    return summary
  }
}
