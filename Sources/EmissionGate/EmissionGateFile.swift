/// An emission gate configuration read from a YAML file: check settings and rules.
///
/// ```yaml
/// reasoning:
///   open_tag: "<think>"
///   close_tag: "</think>"
///   template_opens_think: auto      # true (DeepSeek-R1 distills) | false | auto
/// fields:                           # dotted paths into each JSONL row
///   id: id
///   category: category
///   output: choices.0.message.content
///   finish_reason: choices.0.finish_reason
/// checks:
///   repetition: { min_repeats: 4, min_span_words: 24, max_period_words: 64 }
///   script_drift: { expected: [latin], min_run_letters: 4 }   # or expected: dominant
///   run_together: { min_word_letters: 25 }
///   mojibake: { min_sequences: 1 }
/// rules:
///   - { metric: think_presence_rate, min_relative: 0.9 }      # ≥ 0.9 × baseline
///   - { metric: mean_think_tokens, min_relative: 0.75 }
///   - { metric: loop_rate, max: 0.05, per_category: true }
///   - { metric: exhaustion_rate, max: 0.1, category: math }
/// ```
///
/// Every key is checked: an unknown key, a wrong type or an unknown metric is an
/// ``EvalCoreError/invalidConfiguration(file:line:column:reason:)`` with the file, line and column.
public struct EmissionGateFile: Sendable {
  /// Check settings (defaults where the file is silent).
  public var configuration: EmissionConfiguration
  /// Rules, or `nil` when the file has no `rules` key (use ``EmissionGate/defaultRules(withBaseline:)``).
  public var rules: [EmissionRule]?

  /// Creates a configuration value directly.
  public init(configuration: EmissionConfiguration = EmissionConfiguration(), rules: [EmissionRule]? = nil) {
    self.configuration = configuration
    self.rules = rules
  }

  /// Loads a configuration file.
  public static func load(path: String) throws -> EmissionGateFile {
    try parse(YAMLNode.load(path: path))
  }

  /// Parses configuration text; `file` names it in errors.
  public static func parse(_ text: String, file: String = "<config>") throws -> EmissionGateFile {
    try parse(YAMLNode.parse(text, file: file))
  }

  static func parse(_ root: YAMLNode) throws -> EmissionGateFile {
    var config = EmissionConfiguration()
    var rules: [EmissionRule]? = nil
    for (key, value) in try root.requireKeys(
      in: ["reasoning", "fields", "checks", "rules"], context: "the gate file")
    {
      switch key {
      case "reasoning":
        try config.format.apply(value)
      case "fields":
        let names = [
          "id", "category", "prompt", "output", "completion_tokens", "max_new_tokens", "finish_reason",
          "template_opens_think",
        ]
        for (k, v) in try value.requireKeys(in: Set(names), context: "fields") {
          let path: FieldPath
          do { path = try FieldPath(parsing: v.string()) } catch { throw v.error("\(error)") }
          switch k {
          case "id": config.fields.id = path
          case "category": config.fields.category = path
          case "prompt": config.fields.prompt = path
          case "output": config.fields.output = path
          case "completion_tokens": config.fields.completionTokens = path
          case "max_new_tokens": config.fields.maxNewTokens = path
          case "finish_reason": config.fields.finishReason = path
          default: config.fields.templateOpensThink = path
          }
        }
      case "checks":
        try parseChecks(value, into: &config)
      default:
        let parsed = try value.sequence("a list of rules").map(parseRule)
        // A gate of no checks passes anything.
        guard !parsed.isEmpty else {
          throw value.error(
            "rules is empty, so every run would pass; list at least one rule, or leave the key out for the defaults"
          )
        }
        rules = parsed
      }
    }
    return EmissionGateFile(configuration: config, rules: rules)
  }

  /// The shared text checks' settings (the same keys as a LeakScanner ruleset's `detectors`).
  static func parseChecks(_ node: YAMLNode, into config: inout EmissionConfiguration) throws {
    for (key, value) in try node.requireKeys(
      in: ["repetition", "script_drift", "run_together", "mojibake"], context: "checks")
    {
      switch key {
      case "repetition": try config.repetition.apply(value)
      case "script_drift": try config.scriptDrift.apply(value)
      case "run_together": try config.runTogether.apply(value)
      default: try config.mojibake.apply(value)
      }
    }
  }

  static func parseRule(_ node: YAMLNode) throws -> EmissionRule {
    let entries = try node.requireKeys(
      in: ["metric", "min", "max", "min_relative", "max_relative", "category", "per_category"],
      context: "a rule")
    var metric: EmissionMetric? = nil
    var bound: EmissionBound? = nil
    var scope = EmissionRule.Scope.overall
    for (k, v) in entries {
      switch k {
      case "metric":
        let name = try v.string()
        guard let m = EmissionMetric(rawValue: name) else {
          throw v.error(
            "unknown metric '\(name)'; expected one of: \(EmissionMetric.allCases.map(\.rawValue).joined(separator: ", "))"
          )
        }
        metric = m
      case "min", "max", "min_relative", "max_relative":
        guard bound == nil else {
          throw v.error("a rule takes exactly one of min, max, min_relative, max_relative")
        }
        let x = try v.double()
        guard x.isFinite else { throw v.error("\(k) must be a number, not \(x)") }
        switch k {
        case "min": bound = .absolute(.atLeast(x))
        case "max": bound = .absolute(.atMost(x))
        case "min_relative": bound = .atLeastBaseline(factor: x)
        default: bound = .atMostBaseline(factor: x)
        }
      case "category":
        scope = .category(try v.string())
      default:
        if try v.bool() { scope = .overallAndEachCategory }
      }
    }
    guard let metric else { throw node.error("rule has no 'metric'") }
    guard let bound else {
      throw node.error("rule for \(metric.rawValue) needs one of min, max, min_relative, max_relative")
    }
    if entries.contains(where: { $0.key == "category" }),
      entries.contains(where: { $0.key == "per_category" })
    {
      throw node.error("a rule takes category (one category) or per_category (overall and each), not both")
    }
    // A rate is a share, 0 to 1: `max: 5` meant 5 % would never fail.
    if case .absolute(let t) = bound, metric.isRate, !(0...1).contains(t.bound) {
      throw node.error(
        "\(metric.rawValue) is a share from 0 to 1, so a bound of \(formatNumber(t.bound)) never decides; write 0.05 for 5 %"
      )
    }
    if case .atLeastBaseline(let f) = bound, f < 0 { throw node.error("min_relative must be at least 0") }
    if case .atMostBaseline(let f) = bound, f < 0 { throw node.error("max_relative must be at least 0") }
    return EmissionRule(metric, bound, scope: scope)
  }
}
