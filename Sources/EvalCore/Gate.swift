import Foundation

/// A check over a run's measurements that passes or fails, with evidence.
///
/// `Gate` is the one extension point for verdicts: the products ship concrete gates
/// (`EmissionGate`'s rule set, content rubrics) and users write their own. Compose gates with
/// ``AllOf`` and ``AnyOf``.
///
/// ```swift
/// struct NoEmptyRun: Gate {
///   func evaluate(_ run: EmissionRun) -> GateReport {
///     let ok = run.summary.rows > 0
///     return GateReport(name: "non-empty", checks: [
///       CheckResult(id: "rows", description: "run has rows", measured: Double(run.summary.rows),
///                   threshold: .atLeast(1), passed: ok)])
///   }
/// }
/// ```
public protocol Gate<Input>: Sendable {
  /// What the gate judges (for `EmissionGate`, a run summary with an optional baseline).
  associatedtype Input
  /// Evaluates the gate.
  func evaluate(_ input: Input) -> GateReport
}

/// A threshold a measured value is compared against.
public enum Threshold: Sendable, Hashable, Codable, CustomStringConvertible {
  /// Measured value must be ≥ the bound.
  case atLeast(Double)
  /// Measured value must be ≤ the bound.
  case atMost(Double)

  /// Whether `value` satisfies the threshold. NaN never does.
  public func accepts(_ value: Double) -> Bool {
    guard !value.isNaN else { return false }
    switch self {
    case .atLeast(let bound): return value >= bound
    case .atMost(let bound): return value <= bound
    }
  }

  /// The bound.
  public var bound: Double {
    switch self {
    case .atLeast(let b), .atMost(let b): return b
    }
  }

  public var description: String {
    switch self {
    case .atLeast(let b): return "≥ \(formatNumber(b))"
    case .atMost(let b): return "≤ \(formatNumber(b))"
    }
  }

  private enum CodingKeys: String, CodingKey {
    case atLeast = "at_least"
    case atMost = "at_most"
  }

  /// Encodes as `{"at_least": 0.9}` or `{"at_most": 0.05}`; a bound that is not a number (a
  /// baseline with no value) as `null`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    let key: CodingKeys
    switch self {
    case .atLeast: key = .atLeast
    case .atMost: key = .atMost
    }
    if bound.isFinite { try c.encode(bound, forKey: key) } else { try c.encodeNil(forKey: key) }
  }

  /// Decodes what ``encode(to:)`` writes (`null` as not a number).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    if c.contains(.atLeast) {
      self = .atLeast(try c.decodeIfPresent(Double.self, forKey: .atLeast) ?? .nan)
    } else if c.contains(.atMost) {
      self = .atMost(try c.decodeIfPresent(Double.self, forKey: .atMost) ?? .nan)
    } else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "a threshold needs 'at_least' or 'at_most'"))
    }
  }
}

/// The outcome of one check inside a gate.
public struct CheckResult: Sendable, Hashable, Codable {
  /// Stable identifier, e.g. `think_presence_rate` or `think_presence_rate[category=math]`.
  public var id: String
  /// What the check measures, in words.
  public var description: String
  /// The measured value.
  public var measured: Double
  /// The threshold applied (already resolved against a baseline when relative).
  public var threshold: Threshold
  /// How the threshold was derived, e.g. `0.9 × baseline 0.60`; `nil` for absolute thresholds.
  public var derivation: String?
  /// Whether the check passed.
  public var passed: Bool
  /// Row ids that are evidence (the rows that failed the per-row check), capped by the gate.
  public var evidence: [String]

  /// Creates a result.
  public init(
    id: String, description: String, measured: Double, threshold: Threshold, derivation: String? = nil,
    passed: Bool, evidence: [String] = []
  ) {
    self.id = id
    self.description = description
    self.measured = measured
    self.threshold = threshold
    self.derivation = derivation
    self.passed = passed
    self.evidence = evidence
  }

  private enum CodingKeys: String, CodingKey {
    case id, description, measured, threshold, derivation, passed, evidence
  }

  /// Encodes the fields by name; a measured value that is not a number (no rows to measure)
  /// as `null`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(id, forKey: .id)
    try c.encode(description, forKey: .description)
    if measured.isFinite {
      try c.encode(measured, forKey: .measured)
    } else {
      try c.encodeNil(forKey: .measured)
    }
    try c.encode(threshold, forKey: .threshold)
    try c.encodeIfPresent(derivation, forKey: .derivation)
    try c.encode(passed, forKey: .passed)
    try c.encode(evidence, forKey: .evidence)
  }

  /// Decodes what ``encode(to:)`` writes (`null` as not a number).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    id = try c.decode(String.self, forKey: .id)
    description = try c.decode(String.self, forKey: .description)
    measured = try c.decodeIfPresent(Double.self, forKey: .measured) ?? .nan
    threshold = try c.decode(Threshold.self, forKey: .threshold)
    derivation = try c.decodeIfPresent(String.self, forKey: .derivation)
    passed = try c.decode(Bool.self, forKey: .passed)
    evidence = try c.decode([String].self, forKey: .evidence)
  }
}

/// A gate's verdict: its checks and whether it passed.
public struct GateReport: Sendable, Hashable, Codable {
  /// How the children of a composite report combine.
  public enum Combination: String, Sendable, Hashable, Codable {
    /// All checks and children must pass.
    case allOf
    /// At least one child must pass.
    case anyOf
  }

  /// Gate name.
  public var name: String
  /// Checks made by this gate itself.
  public var checks: [CheckResult]
  /// Reports of composed gates.
  public var children: [GateReport]
  /// How ``children`` combine.
  public var combination: Combination
  /// Whether the gate passed.
  public var passed: Bool

  /// A leaf report: passes when every check passes.
  public init(name: String, checks: [CheckResult]) {
    self.name = name
    self.checks = checks
    self.children = []
    self.combination = .allOf
    self.passed = checks.allSatisfy(\.passed)
  }

  /// A composite report.
  public init(name: String, combination: Combination, children: [GateReport]) {
    self.name = name
    self.checks = []
    self.children = children
    self.combination = combination
    switch combination {
    case .allOf: passed = children.allSatisfy(\.passed)
    case .anyOf: passed = children.contains(where: \.passed)
    }
  }

  /// Every check in this report and its children, depth first.
  public var allChecks: [CheckResult] { checks + children.flatMap(\.allChecks) }
  /// Checks that failed.
  public var failedChecks: [CheckResult] { allChecks.filter { !$0.passed } }
}

/// Passes when every gate passes.
public struct AllOf<Input>: Gate {
  /// The composed gates.
  public var gates: [any Gate<Input>]
  /// Report name.
  public var name: String

  /// Composes gates that must all pass.
  public init(_ name: String = "all-of", _ gates: [any Gate<Input>]) {
    self.name = name
    self.gates = gates
  }

  public func evaluate(_ input: Input) -> GateReport {
    GateReport(name: name, combination: .allOf, children: gates.map { $0.evaluate(input) })
  }
}

/// Passes when at least one gate passes.
public struct AnyOf<Input>: Gate {
  /// The composed gates.
  public var gates: [any Gate<Input>]
  /// Report name.
  public var name: String

  /// Composes gates of which one must pass.
  public init(_ name: String = "any-of", _ gates: [any Gate<Input>]) {
    self.name = name
    self.gates = gates
  }

  public func evaluate(_ input: Input) -> GateReport {
    GateReport(name: name, combination: .anyOf, children: gates.map { $0.evaluate(input) })
  }
}

/// Formats a number compactly for reports: integers without decimals, others with up to 3.
package func formatNumber(_ value: Double) -> String {
  if value.isNaN { return "n/a" }
  if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
  var s = String(format: "%.3f", value)
  while s.hasSuffix("0") { s.removeLast() }
  if s.hasSuffix(".") { s.removeLast() }
  return s
}
