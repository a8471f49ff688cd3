/// A bound on an ``EmissionMetric``: absolute, or a factor of the baseline run's value.
public enum EmissionBound: Sendable, Hashable, Codable {
  /// A fixed threshold.
  case absolute(Threshold)
  /// At least `factor × baseline` (e.g. 0.9 × the baseline's presence rate).
  case atLeastBaseline(factor: Double)
  /// At most `factor × baseline` (e.g. 1.5 × the baseline's loop rate).
  case atMostBaseline(factor: Double)

  /// Whether the bound needs a baseline run.
  public var isRelative: Bool {
    if case .absolute = self { return false }
    return true
  }

  /// The threshold with a baseline value of `baseline` (ignored for an absolute bound).
  func threshold(baseline: Double) -> Threshold {
    switch self {
    case .absolute(let t): return t
    case .atLeastBaseline(let f): return .atLeast(f * baseline)
    case .atMostBaseline(let f): return .atMost(f * baseline)
    }
  }
}

/// One rule of an ``EmissionGate``: a metric, its bound, and where it applies.
public struct EmissionRule: Sendable, Hashable, Codable {
  /// Where a rule applies.
  public enum Scope: Sendable, Hashable, Codable {
    /// The whole run.
    case overall
    /// One named category.
    case category(String)
    /// The whole run and every category seen in the run.
    case overallAndEachCategory
  }

  /// The metric.
  public var metric: EmissionMetric
  /// Its bound.
  public var bound: EmissionBound
  /// Where it applies.
  public var scope: Scope

  /// Creates a rule.
  public init(_ metric: EmissionMetric, _ bound: EmissionBound, scope: Scope = .overall) {
    self.metric = metric
    self.bound = bound
    self.scope = scope
  }

  /// `metric ≥ value`.
  public static func atLeast(_ metric: EmissionMetric, _ value: Double, scope: Scope = .overall) -> Self {
    .init(metric, .absolute(.atLeast(value)), scope: scope)
  }
  /// `metric ≤ value`.
  public static func atMost(_ metric: EmissionMetric, _ value: Double, scope: Scope = .overall) -> Self {
    .init(metric, .absolute(.atMost(value)), scope: scope)
  }
  /// `metric ≥ factor × baseline`.
  public static func atLeastBaseline(_ metric: EmissionMetric, _ factor: Double, scope: Scope = .overall)
    -> Self
  {
    .init(metric, .atLeastBaseline(factor: factor), scope: scope)
  }
  /// `metric ≤ factor × baseline`.
  public static func atMostBaseline(_ metric: EmissionMetric, _ factor: Double, scope: Scope = .overall)
    -> Self
  {
    .init(metric, .atMostBaseline(factor: factor), scope: scope)
  }
}

/// A run to gate: its summary and, for relative rules, a baseline run's summary.
public struct EmissionRun: Sendable {
  /// The run under test.
  public var summary: EmissionSummary
  /// The baseline run, if any.
  public var baseline: EmissionSummary?

  /// Creates a run.
  public init(summary: EmissionSummary, baseline: EmissionSummary? = nil) {
    self.summary = summary
    self.baseline = baseline
  }
}

/// Gates a run on emission metrics: think presence and closure, think length, loops, budget
/// exhaustion, mojibake, script drift and run-together words, absolute or relative to a
/// baseline run.
///
/// ```swift
/// let gate = EmissionGate(rules: [
///   .atLeastBaseline(.thinkPresenceRate, 0.9),  // baseline 0.60 → threshold 0.54
///   .atLeastBaseline(.meanThinkTokens, 0.75),   // baseline 1285 → threshold 963.75
///   .atMost(.loopRate, 0.05, scope: .overallAndEachCategory),
/// ])
/// let report = gate.evaluate(EmissionRun(summary: run, baseline: base))
/// ```
public struct EmissionGate: Gate {
  /// The rules; all must pass.
  public var rules: [EmissionRule]
  /// Report name.
  public var name: String

  /// Creates a gate from rules.
  public init(name: String = "emission", rules: [EmissionRule]) {
    self.name = name
    self.rules = rules
  }

  /// Default rules: presence and closure ≥ 0.9, answers ≥ 0.9, loops ≤ 5%, exhaustion ≤ 10%,
  /// mojibake ≤ 1%, script drift and run-together words ≤ 2%. With a baseline, presence is
  /// instead ≥ 0.9 × baseline and mean think tokens ≥ 0.75 × baseline.
  public static func defaultRules(withBaseline: Bool) -> [EmissionRule] {
    var rules: [EmissionRule] = []
    if withBaseline {
      rules.append(.atLeastBaseline(.thinkPresenceRate, 0.9))
      rules.append(.atLeastBaseline(.meanThinkTokens, 0.75))
    } else {
      rules.append(.atLeast(.thinkPresenceRate, 0.9))
    }
    rules += [
      .atLeast(.thinkClosedRate, 0.9),
      .atLeast(.answerRate, 0.9),
      .atMost(.loopRate, 0.05),
      .atMost(.exhaustionRate, 0.1),
      .atMost(.mojibakeRate, 0.01),
      .atMost(.scriptDriftRate, 0.02),
      .atMost(.runTogetherRate, 0.02),
      // Unreadable lines are reported, and fail the run unless a gate file allows some.
      .atMost(.badLineRate, 0),
    ]
    return rules
  }

  public func evaluate(_ run: EmissionRun) -> GateReport {
    var checks: [CheckResult] = []
    for rule in rules {
      let scopes: [String?]
      switch rule.scope {
      case .overall: scopes = [nil]
      case .category(let c): scopes = [c]
      case .overallAndEachCategory:
        // The baseline's categories too: one the run lost is a failing check, not no check.
        let categories = Set(run.summary.perCategory.keys).union(run.baseline?.perCategory.keys ?? [:].keys)
        scopes = [nil] + categories.sorted().map(Optional.some)
      }
      for category in scopes {
        checks.append(check(rule, category: category, run: run))
      }
    }
    return GateReport(name: name, checks: checks)
  }

  func check(_ rule: EmissionRule, category: String?, run: EmissionRun) -> CheckResult {
    let stats = category.map { run.summary.perCategory[$0] ?? EmissionStats() } ?? run.summary.overall
    let measured = stats.value(of: rule.metric)
    let id = category.map { "\(rule.metric.rawValue)[category=\($0)]" } ?? rule.metric.rawValue
    let evidence = rule.metric.evidenceFlag.map { stats.evidence[$0] ?? [] } ?? []
    if let category, run.summary.perCategory[category] == nil {
      let known = run.summary.perCategory.keys.sorted().joined(separator: ", ")
      return CheckResult(
        id: id, description: rule.metric.summary, measured: .nan,
        threshold: rule.bound.threshold(baseline: .nan),
        derivation:
          "no row of category '\(category)' in the run (its categories: \(known.isEmpty ? "none" : known))",
        passed: false)
    }
    let threshold: Threshold
    var derivation: String? = nil
    switch rule.bound {
    case .absolute(let t):
      threshold = t
    case .atLeastBaseline(let factor), .atMostBaseline(let factor):
      guard let baseline = run.baseline else {
        return CheckResult(
          id: id, description: rule.metric.summary, measured: measured,
          threshold: rule.bound.threshold(baseline: .nan),
          derivation: "\(formatNumber(factor)) × baseline, but no baseline run was given", passed: false,
          evidence: evidence)
      }
      let baseStats = category.map { baseline.perCategory[$0] ?? EmissionStats() } ?? baseline.overall
      let baseValue = baseStats.value(of: rule.metric)
      threshold = rule.bound.threshold(baseline: baseValue)
      derivation = "\(formatNumber(factor)) × baseline \(formatNumber(baseValue))"
    }
    return CheckResult(
      id: id, description: rule.metric.summary, measured: measured, threshold: threshold,
      derivation: derivation, passed: threshold.accepts(measured), evidence: evidence)
  }
}
