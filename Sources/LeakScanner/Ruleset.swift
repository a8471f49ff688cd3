import Foundation

/// A YAML ruleset that configures a scan: reasoning tags, layout, template, which detectors
/// run and how, and user rules.
///
/// ```yaml
/// reasoning: { open_tag: "<think>", close_tag: "</think>", template_opens_think: auto }
/// shape: auto                 # prompt_response | text | messages | conversations
/// template: deepseek-r1       # for {text} rows: llama3 | chatml | gemma | auto
/// detectors:
///   disable: [script-drift]
///   require_think: true
///   exact_duplicates: true
///   near_duplicates: { enabled: true, threshold: 0.8 }
///   discovery: { enabled: true, min_share: 0.01, high_confidence_share: 0.02 }
///   script_drift: { expected: [latin] }
/// rules:
///   - { id: vendor-family, where: think_start, regex: "^Q[0-9]+ blend:", summary: "vendor family code" }
///   - { id: vendor-note, where: anywhere, literal: "[[regen]]", case_insensitive: true }
/// ```
///
/// Mistakes are ``LeakScannerError/invalidRule(file:line:column:reason:)`` with file, line and column.
public enum Ruleset {
  /// Loads a ruleset file into a configuration (starting from `base`).
  public static func load(path: String, base: ScanConfiguration = ScanConfiguration()) throws
    -> ScanConfiguration
  {
    do {
      return try apply(YAMLNode.load(path: path), to: base)
    } catch let error as EvalCoreError {
      throw translate(error)
    }
  }

  /// Parses ruleset text; `file` names it in errors.
  public static func parse(
    _ text: String, file: String = "<rules>", base: ScanConfiguration = ScanConfiguration()
  )
    throws -> ScanConfiguration
  {
    do {
      return try apply(YAMLNode.parse(text, file: file), to: base)
    } catch let error as EvalCoreError {
      throw translate(error)
    }
  }

  static func translate(_ error: EvalCoreError) -> any Error {
    if case .invalidConfiguration(let file, let line, let column, let reason) = error {
      return LeakScannerError.invalidRule(file: file, line: line, column: column, reason: reason)
    }
    return error
  }

  static func apply(_ root: YAMLNode, to base: ScanConfiguration) throws -> ScanConfiguration {
    var config = base
    var disabled = Set<String>()
    let known = Set(
      ScanConfiguration.defaultDetectors().map(\.id) + [DetectorID.exactDuplicate, DetectorID.nearDuplicate])
    // Ids a report or `clean` already uses for its own checks.
    let reserved = known.union([DetectorID.discovered, DetectorID.malformed, DetectorID.blankLine])
    var requireThink = true
    var template: ChatTemplateTokens? = nil
    var drift = ScriptDriftCheck()
    var rules: [LeakRule] = []
    for (key, value) in try root.requireKeys(
      in: ["reasoning", "shape", "template", "detectors", "rules"], context: "the ruleset")
    {
      switch key {
      case "reasoning":
        for (k, v) in try value.requireKeys(
          in: ["open_tag", "close_tag", "template_opens_think"], context: "reasoning")
        {
          switch k {
          case "open_tag": config.format.openTag = try v.string()
          case "close_tag": config.format.closeTag = try v.string()
          default:
            let s = try v.string().lowercased()
            config.format.opening =
              s == "auto" ? .automatic : (try v.bool("true, false or auto") ? .prefilled : .explicit)
          }
        }
      case "shape":
        let s = try value.string()
        if s == "auto" {
          config.shape = nil
        } else {
          guard let shape = CorpusShape(rawValue: s) else {
            throw value.error(
              "unknown shape '\(s)'; expected auto, \(CorpusShape.allCases.map(\.rawValue).joined(separator: ", "))"
            )
          }
          config.shape = shape
        }
      case "template":
        let s = try value.string()
        if s != "auto" {
          guard let t = ChatTemplateTokens.builtIn.first(where: { $0.name == s }) else {
            throw value.error(
              "unknown template '\(s)'; expected auto, \(ChatTemplateTokens.builtIn.map(\.name).joined(separator: ", "))"
            )
          }
          template = t
        }
      case "detectors":
        for (k, v) in try value.requireKeys(
          in: [
            "disable", "require_think", "exact_duplicates", "near_duplicates", "discovery", "script_drift",
          ],
          context: "detectors")
        {
          switch k {
          case "disable":
            for item in try v.sequence() {
              let id = try item.string()
              guard known.contains(id) else {
                throw item.error(
                  "cannot disable unknown detector '\(id)'; known: \(known.sorted().joined(separator: ", "))")
              }
              disabled.insert(id)
            }
          case "require_think": requireThink = try v.bool()
          case "exact_duplicates": config.exactDuplicates = try v.bool()
          case "near_duplicates":
            for (nk, nv) in try v.requireKeys(
              in: ["enabled", "threshold", "shingle_words"], context: "near_duplicates")
            {
              switch nk {
              case "enabled": config.nearDuplicates = try nv.bool()
              case "threshold":
                let t = try nv.double()
                guard t > 0, t <= 1 else { throw nv.error("threshold must be in (0, 1]") }
                config.nearDuplicateThreshold = t
              default:
                let words = try nv.int()
                guard words >= 1 else { throw nv.error("shingle_words must be at least 1") }
                config.minHasher.shingleWords = words
              }
            }
          case "discovery":
            for (dk, dv) in try v.requireKeys(
              in: ["enabled", "min_share", "high_confidence_share"], context: "discovery")
            {
              switch dk {
              case "enabled": config.discovery = try dv.bool()
              default:
                let share = try dv.double()
                guard share > 0, share <= 1 else { throw dv.error("\(dk) must be a share in (0, 1]") }
                if dk == "min_share" {
                  config.discoveryMinShare = share
                } else {
                  config.discoveryHighConfidenceShare = share
                }
              }
            }
          default:
            for (sk, sv) in try v.requireKeys(in: ["expected", "min_run_letters"], context: "script_drift") {
              if sk == "min_run_letters" {
                drift.minRunLetters = try sv.int()
              } else if sv.isSequence {
                var set = Set<ScriptClass>()
                for item in try sv.sequence() {
                  guard let s = ScriptClass(rawValue: try item.string()) else {
                    throw item.error("unknown script '\(try item.string())'")
                  }
                  set.insert(s)
                }
                drift.expected = .scripts(set)
              } else {
                guard try sv.string() == "dominant" else {
                  throw sv.error("expected a list of scripts or 'dominant'")
                }
                drift.expected = .dominant
              }
            }
          }
        }
      default:
        for item in try value.sequence("a list of rules") {
          let rule = try parseRule(item)
          // Ids name the rows a rule flags in every report: one rule, one id.
          guard !reserved.contains(rule.id), !rules.contains(where: { $0.id == rule.id }) else {
            throw item.error(
              "rule id '\(rule.id)' is already used by \(reserved.contains(rule.id) ? "a built-in check" : "another rule")"
            )
          }
          rules.append(rule)
        }
      }
    }
    if disabled.contains(DetectorID.exactDuplicate) { config.exactDuplicates = false }
    if disabled.contains(DetectorID.nearDuplicate) { config.nearDuplicates = false }
    var detectors: [any Detector] = []
    for d in config.detectors where !disabled.contains(d.id) {
      switch d {
      case is ThinkStructureDetector: detectors.append(ThinkStructureDetector(requireThink: requireThink))
      case is SpecialTokenDetector: detectors.append(SpecialTokenDetector(template: template))
      case is ScriptDriftDetector: detectors.append(ScriptDriftDetector(check: drift))
      default: detectors.append(d)
      }
    }
    for rule in rules {
      detectors.append(RuleDetector(id: rule.id, summary: rule.summary, rules: [rule]))
    }
    config.detectors = detectors
    return config
  }

  static func parseRule(_ node: YAMLNode) throws -> LeakRule {
    var id: String? = nil
    var summary: String? = nil
    var scope = RuleScope.anywhere
    var literal: String? = nil
    var regex: (String, YAMLNode)? = nil
    var ci = false
    for (k, v) in try node.requireKeys(
      in: ["id", "summary", "where", "literal", "regex", "case_insensitive"], context: "a rule")
    {
      switch k {
      case "id": id = try v.string()
      case "summary": summary = try v.string()
      case "where":
        guard let s = RuleScope(rawValue: try v.string()) else {
          throw v.error("where must be think_start or anywhere")
        }
        scope = s
      case "literal": literal = try v.string()
      case "regex": regex = (try v.string(), v)
      default: ci = try v.bool()
      }
    }
    guard let id, !id.isEmpty else { throw node.error("rule has no 'id'") }
    let matcher: LeakRule.Matcher
    switch (literal, regex) {
    case (let lit?, nil):
      guard !lit.isEmpty else { throw node.error("rule \(id): literal must not be empty") }
      matcher = .literal(lit, caseInsensitive: ci)
    case (nil, let (source, at)?):
      let anchored = scope == .thinkStart && source.hasPrefix("^") ? String(source.dropFirst()) : source
      do {
        matcher = .regex(try Pattern(anchored, caseInsensitive: ci))
      } catch {
        throw at.error("rule \(id): invalid regular expression \"\(source)\" (\(Self.describe(error)))")
      }
    default:
      throw node.error("rule \(id) needs exactly one of 'literal' or 'regex'")
    }
    return LeakRule(id: id, summary: summary ?? "user rule \(id)", scope: scope, matcher: matcher)
  }

  /// What went wrong with a pattern, in words (Foundation's description on Linux says only that
  /// "the operation could not be completed").
  static func describe(_ error: any Error) -> String {
    let ns = error as NSError
    if ns.domain == NSCocoaErrorDomain && ns.code == 2048 {
      return "unbalanced brackets or parentheses, a bad escape or quantifier"
    }
    return ns.localizedDescription
  }

  /// YAML for rules accepted from discovery, to append under `rules:` of a ruleset.
  public static func yaml(for candidates: [DiscoveryCandidate]) -> String {
    guard !candidates.isEmpty else { return "rules: []\n" }
    var out = "rules:\n"
    var ids = Set<String>()
    for c in candidates {
      var rule = c.rule()
      guard case .regex(let p) = rule.matcher else { continue }
      // Two shapes can make the same id (punctuation becomes `-`): number the later ones.
      var n = 2
      let base = rule.id
      while !ids.insert(rule.id).inserted {
        rule.id = "\(base)-\(n)"
        n += 1
      }
      let escaped = p.source.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
        of: "\"", with: "\\\"")
      out += "  - id: \(rule.id)\n"
      out +=
        "    summary: \"discovered: \(c.shape.replacingOccurrences(of: "\"", with: "'")) (\(c.count) rows)\"\n"
      out += "    where: \(rule.scope.rawValue)\n"
      out += "    regex: \"\(escaped)\"\n"
      if p.caseInsensitive { out += "    case_insensitive: true\n" }
    }
    return out
  }
}
