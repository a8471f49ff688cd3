import Foundation

/// A YAML ruleset that configures a scan: reasoning tags, layout, template, which detectors
/// run and how, and user rules.
///
/// ```yaml
/// reasoning: { open_tag: "<think>", close_tag: "</think>", template_opens_think: auto }
/// shape: auto                 # prompt_response | text | messages | conversations
/// template: deepseek-r1       # for {text} rows: llama3 | chatml | gemma | mistral | llama2 | auto, or
///                             # { name: mine, bos: "<s>", eos: "</s>", specials: ["[INST]"],
///                             #   bos_opens_each_turn: false }
/// detectors:
///   disable: [script-drift]
///   require_think: auto       # true | false; auto: when the first 1,000 rows hold reasoning
///   exact_duplicates: true
///   near_duplicates: { enabled: true, threshold: 0.8, shingle_words: 5 }
///   discovery: { enabled: true, min_share: 0.01, high_confidence_share: 0.02,
///                ignore: ["sentiment: *. …"] }   # candidate shapes judged natural here
///   scaffold_prefix: { labels: [blend], disable_rules: [key-value] }
///   producer_note: { phrases: ["regen note"], disable_rules: [vary] }
///   script_drift: { expected: [latin], min_run_letters: 4 }
///   run_together: { min_word_letters: 25, min_run_together_letters: 25, min_space_ratio: 0.08 }
///   repetition: { min_repeats: 4, min_span_words: 24, max_period_words: 64 }
///   mojibake: { min_sequences: 1, count_replacement_characters: true }
/// rules:
///   - { id: vendor-family, where: think_start, regex: "^Q[0-9]+ blend:", summary: "vendor family code" }
///   - { id: vendor-note, where: anywhere, literal: "[[regen]]", case_insensitive: true }
/// ```
///
/// Mistakes in an entry of `rules:` are ``LeakScannerError/invalidRule(file:line:column:reason:)``,
/// others ``LeakScannerError/invalidRuleset(file:line:column:reason:)``, with file, line and column.
public enum Ruleset {
  /// Loads a ruleset file into a configuration (starting from `base`).
  public static func load(path: String, base: ScanConfiguration = ScanConfiguration()) throws
    -> ScanConfiguration
  {
    do {
      return try apply(YAMLNode.load(path: path), to: base)
    } catch let error as RuleEntryError {
      throw translate(error.error, inRule: true)
    } catch let error as EvalCoreError {
      throw translate(error, inRule: false)
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
    } catch let error as RuleEntryError {
      throw translate(error.error, inRule: true)
    } catch let error as EvalCoreError {
      throw translate(error, inRule: false)
    }
  }

  /// A mistake inside one entry of `rules:`, told apart from the ruleset's other mistakes.
  struct RuleEntryError: Error { var error: EvalCoreError }

  static func translate(_ error: EvalCoreError, inRule: Bool) -> any Error {
    if case .invalidConfiguration(let file, let line, let column, let reason) = error {
      return inRule
        ? LeakScannerError.invalidRule(file: file, line: line, column: column, reason: reason)
        : LeakScannerError.invalidRuleset(file: file, line: line, column: column, reason: reason)
    }
    return error
  }

  static func apply(_ root: YAMLNode, to base: ScanConfiguration) throws -> ScanConfiguration {
    var config = base
    var disabled = Set<String>()
    // The built-in detectors and those `base` registers (a user's `Detector`s), to disable.
    let builtin = Set(
      ScanConfiguration.defaultDetectors().map(\.id) + [DetectorID.exactDuplicate, DetectorID.nearDuplicate])
    let known = builtin.union(base.detectors.map(\.id))
    // Ids a report or `clean` already uses for its own checks.
    let reserved = builtin.union([DetectorID.discovered, DetectorID.malformed, DetectorID.blankLine])
    // What `base` has, unless the ruleset says.
    func first<D: Detector>(_ type: D.Type) -> D? { base.detectors.lazy.compactMap { $0 as? D }.first }
    var requireThink = first(ThinkStructureDetector.self)?.requireThink
    var template = first(SpecialTokenDetector.self)?.template
    var drift = first(ScriptDriftDetector.self)?.check ?? ScriptDriftCheck(expected: .context)
    var runTogether = first(RunTogetherDetector.self)?.check ?? RunTogetherCheck()
    var repetition = first(RepetitionDetector.self)?.check ?? RepetitionCheck()
    var mojibake = first(MojibakeDetector.self)?.check ?? MojibakeCheck()
    // Rule ids to leave out of a built-in rule detector, and its extra labels or phrases.
    var scaffold: RuleDetectorSettings? = nil
    var producer: RuleDetectorSettings? = nil
    var rules: [LeakRule] = []
    for (key, value) in try root.requireKeys(
      in: ["reasoning", "shape", "template", "detectors", "rules"], context: "the ruleset")
    {
      switch key {
      case "reasoning":
        try config.format.apply(value)
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
        if value.isMapping {
          template = try parseTemplate(value)
          break
        }
        let s = try value.string()
        if s == "auto" {
          template = nil
        } else {
          guard let t = ChatTemplateTokens.named.first(where: { $0.name == s }) else {
            throw value.error(
              "unknown template '\(s)'; expected auto, \(ChatTemplateTokens.named.map(\.name).joined(separator: ", ")) or a mapping { name, bos, eos, specials }"
            )
          }
          template = t
        }
      case "detectors":
        for (k, v) in try value.requireKeys(
          in: [
            "disable", "require_think", "exact_duplicates", "near_duplicates", "discovery", "script_drift",
            "run_together", "repetition", "mojibake", "scaffold_prefix", "producer_note",
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
          case "require_think":
            requireThink =
              (try? v.string())?.lowercased() == "auto" ? nil : try v.bool("true, false or auto")
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
              in: ["enabled", "min_share", "high_confidence_share", "ignore"], context: "discovery")
            {
              switch dk {
              case "enabled": config.discovery = try dv.bool()
              case "ignore":
                for item in try dv.sequence("a list of candidate shapes") {
                  let shape = try item.string()
                  guard !shape.isEmpty else {
                    throw item.error("an ignored shape cannot be empty; write it as the report does")
                  }
                  config.discoveryIgnored.insert(shape)
                }
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
          case "script_drift": try drift.apply(v)
          case "run_together": try runTogether.apply(v)
          case "repetition": try repetition.apply(v)
          case "mojibake": try mojibake.apply(v)
          case "scaffold_prefix":
            scaffold = try parseRuleDetectorSettings(v, "scaffold_prefix", extras: "labels")
          default: producer = try parseRuleDetectorSettings(v, "producer_note", extras: "phrases")
          }
        }
      default:
        // `rules:` with nothing under it (every entry commented out) has none.
        for item in value.isNull ? [] : try value.sequence("a list of rules") {
          do {
            let rule = try parseRule(item)
            // Ids name the rows a rule flags in every report: one rule, one id.
            let user = base.detectors.contains { $0.id == rule.id && !builtin.contains(rule.id) }
            guard !reserved.contains(rule.id), !user, !rules.contains(where: { $0.id == rule.id }) else {
              let owner =
                reserved.contains(rule.id)
                ? "a built-in check" : user ? "a detector of the configuration" : "another rule"
              throw item.error("rule id '\(rule.id)' is already used by \(owner)")
            }
            rules.append(rule)
          } catch let error as EvalCoreError {
            throw RuleEntryError(error: error)
          }
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
      case is RunTogetherDetector: detectors.append(RunTogetherDetector(check: runTogether))
      case is RepetitionDetector: detectors.append(RepetitionDetector(check: repetition))
      case is MojibakeDetector: detectors.append(MojibakeDetector(check: mojibake))
      case let rules as RuleDetector where rules.id == "scaffold-prefix" && scaffold != nil:
        // The base's labels, with the ruleset's added, and the rules the base left out still
        // out (its labels live in the rules' patterns, so the detector is made again).
        let settings = scaffold!
        let labels = rules.extraLabels + settings.extras.filter { !rules.extraLabels.contains($0) }
        var made = BuiltinDetectors.scaffoldPrefix(extraLabels: labels)
        let kept = Set(rules.rules.map(\.id))
        made.rules = try settings.keep(made.rules, in: "scaffold_prefix").filter { kept.contains($0.id) }
        detectors.append(made)
      case let rules as RuleDetector where rules.id == "producer-note" && producer != nil:
        let settings = producer!
        var made = rules
        made.rules = try settings.keep(made.rules, in: "producer_note")
        made.rules += settings.extras.map { phrase in
          LeakRule(
            id: "phrase", summary: "user phrase `\(phrase)`", scope: .anywhere,
            matcher: .literal(phrase, caseInsensitive: true))
        }
        detectors.append(made)
      default: detectors.append(d)
      }
    }
    for rule in rules {
      detectors.append(RuleDetector(id: rule.id, summary: rule.summary, rules: [rule]))
    }
    config.detectors = detectors
    return config
  }

  /// `scaffold_prefix` / `producer_note` settings: built-in rules to leave out (checked against
  /// the rule ids once the detector is known) and extra labels or phrases.
  struct RuleDetectorSettings {
    var disabled: [(id: String, node: YAMLNode)] = []
    var extras: [String] = []

    /// `rules` without the disabled ones; an unknown id is an error at its line.
    func keep(_ rules: [LeakRule], in context: String) throws -> [LeakRule] {
      let ids = rules.map(\.id)
      for (id, node) in disabled where !ids.contains(id) {
        throw node.error(
          "\(context) has no rule '\(id)'; its rules: \(ids.joined(separator: ", "))")
      }
      return rules.filter { rule in !disabled.contains { $0.id == rule.id } }
    }
  }

  static func parseRuleDetectorSettings(_ node: YAMLNode, _ context: String, extras key: String) throws
    -> RuleDetectorSettings
  {
    var settings = RuleDetectorSettings()
    for (k, v) in try node.requireKeys(in: ["disable_rules", key], context: context) {
      for item in try v.sequence() {
        let text = try item.nonEmptyString(k == key ? "a \(key.dropLast())" : "a rule id")
        if k == key {
          if key == "labels" {
            let bytes = Array(text.utf8)
            let ok =
              bytes.first.map { $0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A } == true
              && bytes.allSatisfy { LiteralSet.isWordByte($0) || $0 == UInt8(ascii: "-") }
            guard ok else {
              throw item.error(
                "label '\(text)' must start with a letter and hold only letters, digits, _ or -")
            }
          }
          settings.extras.append(text)
        } else {
          settings.disabled.append((text, item))
        }
      }
    }
    return settings
  }

  /// A template given as `{ name, bos, eos, specials, bos_opens_each_turn }`: a name and at
  /// least one token.
  static func parseTemplate(_ node: YAMLNode) throws -> ChatTemplateTokens {
    var name: String? = nil
    var bos: String? = nil
    var eos: String? = nil
    var specials: [String] = []
    var bosOpensEachTurn = false
    for (k, v) in try node.requireKeys(
      in: ["name", "bos", "eos", "specials", "bos_opens_each_turn"], context: "template")
    {
      switch k {
      case "name": name = try v.nonEmptyString("name")
      case "bos": bos = try v.nonEmptyString("bos")
      case "eos": eos = try v.nonEmptyString("eos")
      case "bos_opens_each_turn": bosOpensEachTurn = try v.bool()
      default: specials = try v.sequence().map { try $0.nonEmptyString("a special token") }
      }
    }
    guard let name else { throw node.error("template needs a 'name'") }
    guard bos != nil || eos != nil || !specials.isEmpty else {
      throw node.error("template \(name) needs at least one of bos, eos or specials")
    }
    return ChatTemplateTokens(
      name: name, bos: bos, eos: eos, specials: specials, bosOpensEachTurn: bosOpensEachTurn)
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
      guard !anchored.isEmpty else {
        throw at.error(
          source.isEmpty
            ? "rule \(id): empty regex; give a pattern that matches at least one character"
            : "rule \(id): empty regex after the '^' anchor; give a pattern that matches at least one character"
        )
      }
      let pattern: Pattern
      do {
        pattern = try Pattern(anchored, caseInsensitive: ci)
      } catch {
        throw at.error("rule \(id): invalid regular expression \"\(source)\" (\(Self.describe(error)))")
      }
      guard !pattern.matchesEmptyText else {
        throw at.error(
          "rule \(id): regular expression \"\(source)\" matches empty text, so it would flag every row; make it match at least one character"
        )
      }
      matcher = .regex(pattern)
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

  /// `text` as a YAML double-quoted scalar: `\` and `"` escaped, and the characters YAML
  /// does not allow in a file (controls, DEL, C1) and the bidirectional overrides as `\uXXXX`,
  /// so the file reads back to the same text.
  static func doubleQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      if scalar == "\\" || scalar == "\"" {
        out += "\\" + String(scalar)
      } else if ScanReport.isUnprintable(scalar) {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  /// A ruleset of rules from discovery (``DiscoveryCandidate/rule()``): `candidates` as rules,
  /// and `listed` as the same entries commented out, each line opening with `# `, for a person
  /// to review and accept by removing the marks. The file reads back as a ruleset with the
  /// rules of `candidates` alone; its entries are what to copy under `rules:` of your own.
  public static func yaml(for candidates: [DiscoveryCandidate], listed: [DiscoveryCandidate] = []) -> String {
    guard !candidates.isEmpty || !listed.isEmpty else { return "rules: []\n" }
    var out = "rules:\n"
    var ids = Set<String>()
    func entry(_ c: DiscoveryCandidate, commented: Bool) {
      var rule = c.rule()
      guard case .regex(let p) = rule.matcher else { return }
      // Two shapes can make the same id (punctuation becomes `-`): number the later ones.
      var n = 2
      let base = rule.id
      while !ids.insert(rule.id).inserted {
        rule.id = "\(base)-\(n)"
        n += 1
      }
      let mark = commented ? "  # " : "  "
      out += "\(mark)- id: \(rule.id)\n"
      out += "\(mark)  summary: \(Self.doubleQuoted("discovered: \(c.shape) (\(c.count) rows)"))\n"
      out += "\(mark)  where: \(rule.scope.rawValue)\n"
      out += "\(mark)  regex: \(Self.doubleQuoted(p.source))\n"
      if p.caseInsensitive { out += "\(mark)  case_insensitive: true\n" }
    }
    for c in candidates { entry(c, commented: false) }
    if !listed.isEmpty {
      out += "  # Listed, not confident: to accept one, remove the `# ` before each of its lines.\n"
      for c in listed { entry(c, commented: true) }
    }
    return out
  }
}
