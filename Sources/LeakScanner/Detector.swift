import Foundation

/// One reason a training row is flagged.
public struct Finding: Sendable, Hashable, Codable {
  /// The detector's id, e.g. `scaffold-prefix`.
  public var detector: String
  /// What was found (at most 160 characters).
  public var evidence: String
  /// For findings at the start of a reasoning block: the exact text `--repair` may strip.
  public var repairPrefix: String?

  /// Creates a finding.
  public init(detector: String, evidence: String, repairPrefix: String? = nil) {
    self.detector = detector
    self.evidence = String(evidence.prefix(160))
    self.repairPrefix = repairPrefix
  }

  enum CodingKeys: String, CodingKey {
    case detector, evidence
    case repairPrefix = "repair_prefix"
  }
}

/// What detectors see of a row besides the row itself: its parsed reasoning blocks.
public struct RowContext: Sendable {
  /// The row.
  public var row: CorpusRow
  /// The reasoning structure of each model-written segment, in order.
  public var traces: [ReasoningTrace]

  /// Parses the row's model text with `format`.
  public init(row: CorpusRow, format: ReasoningFormat) {
    self.row = row
    self.traces = row.segments.filter(\.isModelText).map { format.parse($0.text) }
  }

  /// The model-written text with reasoning tags removed (reasoning, then answer, per segment).
  public var plainModelText: String {
    traces.map { $0.blocks.isEmpty ? $0.answer : $0.thinkText + "\n" + $0.answer }.joined(separator: "\n")
  }

  /// Every reasoning block's content with leading whitespace removed.
  public var thinkOpenings: [Substring] {
    traces.flatMap { $0.blocks.map { $0.content.drop(while: \.isWhitespace) } }
  }
}

/// Finds one kind of leak in a single training row.
///
/// LeakScanner's built-in per-row detectors conform to this protocol, and so can yours:
///
/// ```swift
/// struct NoInternalURLs: Detector {
///   let id = "internal-url"
///   let summary = "links to the data vendor's internal wiki"
///   func findings(in context: RowContext) -> [Finding] {
///     context.row.modelText.contains("wiki.vendor.internal")
///       ? [Finding(detector: id, evidence: "wiki.vendor.internal")] : []
///   }
/// }
/// let scanner = CorpusScanner(configuration: .init(extraDetectors: [NoInternalURLs()]))
/// ```
///
/// Corpus-wide checks (duplicates, discovery of unknown scaffolding) are made by the scanner
/// itself, since they need every row.
public protocol Detector: Sendable {
  /// A stable identifier used in reports, quarantine reasons and rulesets.
  var id: String { get }
  /// One line saying what the detector finds.
  var summary: String { get }
  /// The findings in one row; empty when the row is clean.
  func findings(in context: RowContext) -> [Finding]
}

/// A compiled regular expression usable from many threads.
public struct Pattern: @unchecked Sendable, Hashable {
  /// The source pattern.
  public let source: String
  /// Whether matching ignores case.
  public let caseInsensitive: Bool
  let regex: NSRegularExpression

  /// Compiles a pattern.
  /// - Throws: the compiler's error when `source` is not a valid ICU regular expression.
  public init(_ source: String, caseInsensitive: Bool = false) throws {
    self.source = source
    self.caseInsensitive = caseInsensitive
    regex = try NSRegularExpression(
      pattern: source, options: caseInsensitive ? [.caseInsensitive, .anchorsMatchLines] : [.anchorsMatchLines])
  }

  /// The first match in `text`, if any.
  public func firstMatch(in text: String) -> Substring? {
    let ns = text as NSString
    guard let m = regex.firstMatch(in: text, range: NSRange(location: 0, length: ns.length)) else { return nil }
    guard let range = Range(m.range, in: text) else { return nil }
    return text[range]
  }

  /// A match that starts at the beginning of `text`, if any.
  public func prefixMatch(in text: String) -> Substring? {
    let ns = text as NSString
    guard let m = regex.firstMatch(in: text, options: [.anchored], range: NSRange(location: 0, length: ns.length)),
      let range = Range(m.range, in: text)
    else { return nil }
    return text[range]
  }

  public static func == (a: Pattern, b: Pattern) -> Bool {
    a.source == b.source && a.caseInsensitive == b.caseInsensitive
  }
  public func hash(into hasher: inout Hasher) {
    hasher.combine(source)
    hasher.combine(caseInsensitive)
  }
}

/// Where a rule looks.
public enum RuleScope: String, Sendable, Codable, Hashable {
  /// At the start of each reasoning block (a match there can be repaired by stripping it).
  case thinkStart = "think_start"
  /// Anywhere in the model-written text.
  case anywhere
}

/// A user or built-in rule: a literal or a regular expression, at the start of reasoning or anywhere.
public struct LeakRule: Sendable, Hashable {
  /// Rule id, used as the detector id in reports.
  public var id: String
  /// One-line description.
  public var summary: String
  /// Where the rule looks.
  public var scope: RuleScope
  /// The matcher.
  public var matcher: Matcher

  /// How a rule matches.
  public enum Matcher: Sendable, Hashable {
    /// A literal substring (case-insensitive when the flag is set).
    case literal(String, caseInsensitive: Bool)
    /// A regular expression.
    case regex(Pattern)
  }

  /// Creates a rule.
  public init(id: String, summary: String, scope: RuleScope, matcher: Matcher) {
    self.id = id
    self.summary = summary
    self.scope = scope
    self.matcher = matcher
  }

  /// The matching text at the start of `text` (for ``RuleScope/thinkStart``) or anywhere.
  func match(_ text: Substring) -> Substring? {
    switch (matcher, scope) {
    case (.literal(let lit, let ci), .thinkStart):
      let head = text.prefix(lit.count)
      return (ci ? head.lowercased() == lit.lowercased() : head == lit) ? head : nil
    case (.literal(let lit, let ci), .anywhere):
      if ci {
        guard ByteSearch.containsAnyIgnoringASCIICase(String(text), [Array(lit.lowercased().utf8)]),
          let r = text.range(of: lit, options: .caseInsensitive)
        else { return nil }
        return text[r]
      }
      let s = String(text)
      guard let r = find(Array(lit.utf8), in: s, from: s.startIndex) else { return nil }
      return text[r]
    case (.regex(let p), .thinkStart):
      // Scaffolding sits in the first line; matching a bounded head keeps ICU's UTF-16
      // conversion cheap on long reasoning blocks.
      return p.prefixMatch(in: String(text.prefix(160)))
    case (.regex(let p), .anywhere):
      return p.firstMatch(in: String(text))
    }
  }
}

/// Runs a set of ``LeakRule``s that share a detector id.
public struct RuleDetector: Detector {
  public let id: String
  public let summary: String
  /// The rules.
  public var rules: [LeakRule]
  /// Lower-cased literals one of which must occur in the text before the regexes run, or
  /// empty to always run them (a cheap prefilter for the anywhere-rules).
  public var prefilter: [String] {
    didSet { prefilterBytes = prefilter.map { Array($0.lowercased().utf8) } }
  }
  var prefilterBytes: [[UInt8]]

  /// Creates a detector.
  public init(id: String, summary: String, rules: [LeakRule], prefilter: [String] = []) {
    self.id = id
    self.summary = summary
    self.rules = rules
    self.prefilter = prefilter
    self.prefilterBytes = prefilter.map { Array($0.lowercased().utf8) }
  }

  public func findings(in context: RowContext) -> [Finding] {
    var out: [Finding] = []
    let starts = rules.filter { $0.scope == .thinkStart }
    if !starts.isEmpty {
      for opening in context.thinkOpenings {
        for rule in starts {
          if let m = rule.match(opening) {
            out.append(Finding(detector: id, evidence: "\(rule.id): \(m)", repairPrefix: String(m)))
            break
          }
        }
      }
    }
    let anywhere = rules.filter { $0.scope == .anywhere }
    if !anywhere.isEmpty {
      let text = context.row.modelText
      if !prefilterBytes.isEmpty {
        guard ByteSearch.containsAnyIgnoringASCIICase(text, prefilterBytes) else { return out }
      }
      for rule in anywhere {
        if let m = rule.match(text[...]) {
          out.append(Finding(detector: id, evidence: "\(rule.id): \(m)"))
        }
      }
    }
    return out
  }
}
