import Foundation

/// Special-token conventions of common chat templates, for the special-token detector.
public struct ChatTemplateTokens: Sendable, Hashable {
  /// Template name used in rulesets (`deepseek-r1`, `llama3`, `chatml`, `gemma`).
  public var name: String
  /// Beginning-of-sequence token a templated `{text}` row must start with, if the template has one.
  public var bos: String?
  /// End-of-sequence token a templated `{text}` row must end with.
  public var eos: String?
  /// Other special tokens of the template, which must not appear inside plain content.
  public var specials: [String]

  /// Creates a template description.
  public init(name: String, bos: String?, eos: String?, specials: [String]) {
    self.name = name
    self.bos = bos
    self.eos = eos
    self.specials = specials
  }

  /// DeepSeek-R1 and its distills.
  public static let deepSeekR1 = ChatTemplateTokens(
    name: "deepseek-r1", bos: "<｜begin▁of▁sentence｜>", eos: "<｜end▁of▁sentence｜>",
    specials: ["<｜User｜>", "<｜Assistant｜>", "<｜tool▁calls▁begin｜>"])
  /// Llama 3.
  public static let llama3 = ChatTemplateTokens(
    name: "llama3", bos: "<|begin_of_text|>", eos: "<|eot_id|>",
    specials: ["<|start_header_id|>", "<|end_header_id|>", "<|end_of_text|>"])
  /// ChatML (Qwen and others).
  public static let chatML = ChatTemplateTokens(
    name: "chatml", bos: nil, eos: "<|im_end|>", specials: ["<|im_start|>", "<|endoftext|>"])
  /// Gemma.
  public static let gemma = ChatTemplateTokens(
    name: "gemma", bos: "<bos>", eos: "<end_of_turn>", specials: ["<start_of_turn>", "<eos>"])

  /// The built-in templates.
  public static let builtIn: [ChatTemplateTokens] = [.deepSeekR1, .llama3, .chatML, .gemma]

  var allTokens: [String] { [bos, eos].compactMap { $0 } + specials }
}

/// The built-in detectors and their default rules.
public enum BuiltinDetectors {
  /// Designators and tags at the start of a reasoning block.
  public static func scaffoldPrefix() -> RuleDetector {
    func rule(_ id: String, _ summary: String, _ pattern: String, ci: Bool = false) -> LeakRule {
      LeakRule(id: id, summary: summary, scope: .thinkStart, matcher: .regex(try! Pattern(pattern, caseInsensitive: ci)))
    }
    return RuleDetector(
      id: "scaffold-prefix", summary: "scaffolding at the start of reasoning (designators, tags, labels)",
      rules: [
        rule(
          "designator", "family code such as `A4 spice combinator:`",
          #"[A-Z]{1,3}[0-9]{1,4}[a-z]?(?:[ \t]+[\w'-]+){0,5}[ \t]*(?::|\||–|—| - )[ \t]*"#),
        rule("bracket-tag", "bracketed tag such as `[variant 3]`", #"(?:\[[A-Za-z][^\]\n]{0,39}\]|<<[^>\n]{1,40}>>|\{\{[^}\n]{1,40}\}\})[ \t]*:?[ \t]*"#),
        rule("key-value", "key=value tags such as `persona=lawyer`", #"(?:[A-Za-z_][\w-]*=[^\s,;]+[ \t,;]*)+"#),
        rule(
          "label", "generator labels such as `Remix 2:` or `Persona: …`",
          #"(?:remix|variant|persona|template|seed|family|archetype|combinator|generator|batch)\b[^:\n]{0,40}:[ \t]*"#,
          ci: true),
      ])
  }

  /// Meta-language about generating the data, anywhere in the model text.
  public static func producerNotes() -> RuleDetector {
    func rule(_ id: String, _ summary: String, _ pattern: String) -> LeakRule {
      LeakRule(id: id, summary: summary, scope: .anywhere, matcher: .regex(try! Pattern(pattern, caseInsensitive: true)))
    }
    return RuleDetector(
      id: "producer-note", summary: "notes about producing the data (duplicate of N, diversify by, …)",
      rules: [
        rule("duplicate-of", "`duplicate of 3886`", #"\bduplicate of[ \t]+(?:row|item|sample|example|id)?[ \t]*#?[0-9]+\b"#),
        rule("same-as", "`same as row 12`", #"\bsame as (?:row|item|sample|example)[ \t]*#?[0-9]+\b"#),
        rule(
          "diversify", "`diversify by …`",
          #"\bdiversify (?:by|with|across|the (?:opening|openings|phrasing|wording|style|answers?|examples?|rows?|samples?))\b"#),
        rule("vary", "`vary the opening`", #"\bvary (?:the )?(?:opening|openings|phrasing|wording|sentence structure|tone|style)\b"#),
        rule(
          "avoid-repeating", "`avoid repeating row 12`",
          #"\bavoid repeating (?:row|example|sample|item|the (?:previous|last|same) (?:row|example|sample|opening))\b"#),
        rule(
          "note-to-self", "notes to self",
          #"\b(?:note to self|generator note|pipeline note|internal note|regenerate this (?:row|sample|example))\b"#),
        rule("rewrite-of", "`paraphrase of row 5`", #"\b(?:rewrite|paraphrase|variation) of (?:row|sample|example|item)[ \t]*#?[0-9]+\b"#),
      ],
      prefilter: [
        "duplicate of", "same as ", "diversify", "vary ", "avoid repeating", "note to self", "generator note",
        "pipeline note", "internal note", "regenerate this", " of row", " of sample", " of example", " of item",
      ])
  }
}

/// Flags rows whose model text has words run together (shares EmissionGate's check).
public struct RunTogetherDetector: Detector {
  public let id = "run-together"
  public let summary = "words run together without spaces"
  /// The shared check.
  public var check = RunTogetherCheck()
  /// Creates the detector.
  public init(check: RunTogetherCheck = RunTogetherCheck()) { self.check = check }
  public func findings(in context: RowContext) -> [Finding] {
    check.detect(in: context.plainModelText).map { [Finding(detector: id, evidence: $0.example)] } ?? []
  }
}

/// Flags rows with mojibake (shares EmissionGate's check).
public struct MojibakeDetector: Detector {
  public let id = "mojibake"
  public let summary = "UTF-8 text decoded as Latin-1/Windows-1252, or replacement characters"
  /// The shared check.
  public var check = MojibakeCheck()
  /// Creates the detector.
  public init(check: MojibakeCheck = MojibakeCheck()) { self.check = check }
  public func findings(in context: RowContext) -> [Finding] {
    check.detect(in: context.row.allText).map {
      [Finding(detector: id, evidence: $0.example ?? "\($0.replacementCharacters) replacement characters")]
    } ?? []
  }
}

/// Flags rows that drift into an unexpected script (shares EmissionGate's check).
public struct ScriptDriftDetector: Detector {
  public let id = "script-drift"
  public let summary = "a run of an unexpected script"
  /// The shared check.
  public var check = ScriptDriftCheck()
  /// Creates the detector.
  public init(check: ScriptDriftCheck = ScriptDriftCheck()) { self.check = check }
  public func findings(in context: RowContext) -> [Finding] {
    check.detect(in: context.plainModelText).map {
      [Finding(detector: id, evidence: "\($0.script.rawValue): \($0.example)")]
    } ?? []
  }
}

/// Flags rows with repetition loops (shares EmissionGate's check).
public struct RepetitionDetector: Detector {
  public let id = "repetition"
  public let summary = "the same fragment repeated many times in a row"
  /// The shared check.
  public var check = RepetitionCheck()
  /// Creates the detector.
  public init(check: RepetitionCheck = RepetitionCheck()) { self.check = check }
  public func findings(in context: RowContext) -> [Finding] {
    check.detect(in: context.plainModelText).map {
      [Finding(detector: id, evidence: "×\($0.repeats): \($0.fragment)")]
    } ?? []
  }
}

/// Flags broken reasoning structure: missing, empty, unclosed, nested or repeated blocks.
public struct ThinkStructureDetector: Detector {
  public let id = "think-structure"
  public let summary = "reasoning block missing, empty, unclosed, nested or repeated"
  /// Whether rows without any reasoning block are flagged.
  public var requireThink: Bool
  /// Creates the detector.
  public init(requireThink: Bool = true) { self.requireThink = requireThink }

  public func findings(in context: RowContext) -> [Finding] {
    var problems: [String] = []
    let traces = context.traces
    if requireThink && traces.allSatisfy({ $0.blocks.isEmpty }) { problems.append("missing") }
    for trace in traces where !trace.blocks.isEmpty {
      if trace.thinkEmpty { problems.append("empty") }
      if !trace.thinkClosed { problems.append("unclosed") }
      if trace.nested { problems.append("nested") }
      if trace.blocks.count > 1 { problems.append("repeated (\(trace.blocks.count) blocks)") }
      if trace.strayCloseTags > 0 { problems.append("stray closing tag") }
    }
    return problems.isEmpty ? [] : [Finding(detector: id, evidence: problems.joined(separator: ", "))]
  }
}

/// Flags `{text}` rows without the template's BOS/EOS and special tokens inside content.
public struct SpecialTokenDetector: Detector {
  public let id = "special-tokens"
  public let summary = "missing BOS/EOS in templated rows, or special tokens inside content"
  /// The template `{text}` rows must follow; `nil` detects it per row from the tokens present.
  public var template: ChatTemplateTokens?
  /// Creates the detector.
  public init(template: ChatTemplateTokens? = nil) { self.template = template }

  public func findings(in context: RowContext) -> [Finding] {
    var problems: [String] = []
    let row = context.row
    if row.shape == .text, let text = row.segments.first?.text {
      let tmpl = template ?? ChatTemplateTokens.builtIn.first { t in t.allTokens.contains { ByteSearch.contains(text, $0) } }
      if let t = tmpl {
        if let bos = t.bos {
          if !text.hasPrefix(bos) { problems.append("missing BOS \(bos) (\(t.name))") }
          if ByteSearch.count(text, bos) > 1 { problems.append("BOS \(bos) repeated inside the row") }
        }
        if let eos = t.eos {
          let trimmed = text.reversed().drop(while: \.isWhitespace)
          if !String(trimmed.reversed()).hasSuffix(eos) { problems.append("missing EOS \(eos) (\(t.name))") }
        }
      }
    } else {
      for segment in row.segments {
        for t in ChatTemplateTokens.builtIn {
          if let token = t.allTokens.first(where: { ByteSearch.contains(segment.text, $0) }) {
            problems.append("special token \(token) inside \(segment.role) content")
            break
          }
        }
      }
    }
    return problems.isEmpty ? [] : [Finding(detector: id, evidence: problems.joined(separator: "; "))]
  }
}
